using Acclimate.Data.Corpora;
using Acclimate.Data.Datasets;
using Acclimate.Data.Tagging;
using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// The splits of a token-classification run, read per <see cref="FineTuneDataOptions"/>: train,
/// dev and (optional) test sentences, with tags in the files' scheme, subsampled when asked.
/// </summary>
public sealed record TaggingDataset(IReadOnlyList<TaggedSentence> Train, IReadOnlyList<TaggedSentence> Dev, IReadOnlyList<TaggedSentence>? Test)
{
    /// <summary>Reads the three splits; an empty split or a file problem is a <see cref="DataException"/> naming the file.</summary>
    public static TaggingDataset Load(FineTuneDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Format == DatasetFormat.Brown) return LoadBrown(options);
        var train = Subsample(ReadFile(options.Train!, options), options.MaxTrain, options.SubsampleSeed, options.Train!);
        var dev = Subsample(ReadFile(options.Dev!, options), options.MaxDev, options.SubsampleSeed + 1, options.Dev!);
        var test = options.Test is null ? null : Subsample(ReadFile(options.Test, options), options.MaxTest, options.SubsampleSeed + 2, options.Test);
        return new TaggingDataset(train, dev, test);
    }

    /// <summary>All sentences of one file in the recipe's format.</summary>
    public static IReadOnlyList<TaggedSentence> ReadFile(string path, FineTuneDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(path)) throw new DataException($"{path}: data file not found.");
        IEnumerable<TaggedSentence> sentences = options.Format switch
        {
            DatasetFormat.Conll => ConllReader.Read(path),
            DatasetFormat.TokenJsonl => TokenTagJsonlReader.Read(path, options.TokensField, options.TagsField),
            DatasetFormat.SpanJsonl => SpanJsonlReader.Read(path, options.TextField, options.LabelField),
            _ => throw new ConfigException($"data.format {options.Format} is not a token-classification format (conll, token_jsonl, span_jsonl, brown)."),
        };
        var list = sentences.ToList();
        if (list.Count == 0) throw new DataException($"{path}: the dataset is empty; expected at least one sentence.");
        if (options.FileScheme is { } scheme && options.Format != DatasetFormat.SpanJsonl)
            foreach (var s in list)
            {
                for (var i = 0; i < s.Tags.Count; i++)
                    if (s.Tags[i] != "O" && (!Tag.TryParse(s.Tags[i], out var tag) || !TaggingSchemes.Allows(scheme, tag.Prefix)))
                        throw new DataException($"{s.SourceFile}:{s.TokenLine(i)}: tag '{s.Tags[i]}' is not a {scheme} tag (expected O or a prefix among {string.Join("/", TaggingSchemes.Prefixes(scheme).Skip(1))} followed by '-TYPE'); set data.scheme to the files' scheme, or 'none' for plain tags.");
            }
        return list;
    }

    private static TaggingDataset LoadBrown(FineTuneDataOptions options)
    {
        var folder = options.BrownFolder ?? BrownCorpus.Acquire(AcclimateCache.DefaultDirectory());
        var documents = BrownCorpus.Read(folder).ToList();
        IReadOnlyList<TaggedSentence> Split(IReadOnlyList<string> genres, int max, int seed, string role)
        {
            var known = documents.Select(d => d.Genre).Distinct(StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);
            foreach (var g in genres)
                if (!known.Contains(g)) throw new ConfigException($"data.brown_{role}_genres: '{g}' is not a Brown genre; expected one of {string.Join(", ", known.Order(StringComparer.Ordinal))}.");
            var sentences = documents.Where(d => genres.Contains(d.Genre, StringComparer.Ordinal))
                .SelectMany(d => d.Sentences.Select(s => new TaggedSentence(s.Tokens.Select(t => t.Word).ToArray(), s.Tokens.Select(t => t.BaseTag).ToArray(), d.SourceFile, s.LineNumber, oneTokenPerLine: false)))
                .ToList();
            if (sentences.Count == 0) throw new DataException($"{folder}: the Brown {role} split (genres {string.Join(", ", genres)}) is empty.");
            return Subsample(sentences, max, seed, $"Brown {role}");
        }
        var train = Split(options.BrownTrainGenres, options.MaxTrain, options.SubsampleSeed, "train");
        var dev = Split(options.BrownDevGenres, options.MaxDev, options.SubsampleSeed + 1, "dev");
        var test = options.BrownTestGenres.Count == 0 ? null : Split(options.BrownTestGenres, options.MaxTest, options.SubsampleSeed + 2, "test");
        var overlap = options.BrownTrainGenres.Intersect(options.BrownDevGenres.Concat(options.BrownTestGenres), StringComparer.Ordinal).ToArray();
        if (overlap.Length > 0) throw new ConfigException($"data: genre(s) {string.Join(", ", overlap)} are in the training split and in dev/test; a genre-held-out split keeps them apart.");
        return new TaggingDataset(train, dev, test);
    }

    /// <summary>At most <paramref name="max"/> items drawn without replacement (seeded), kept in their original order; 0 keeps all.</summary>
    public static IReadOnlyList<T> Subsample<T>(IReadOnlyList<T> items, int max, int seed, string what)
    {
        if (items.Count == 0) throw new DataException($"{what}: the dataset is empty.");
        if (max <= 0 || max >= items.Count) return items;
        var order = Enumerable.Range(0, items.Count).ToArray();
        new Random(seed).Shuffle(order);
        return order.Take(max).Order().Select(i => items[i]).ToArray();
    }
}
