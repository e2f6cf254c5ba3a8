using Acclimate.Errors;
using static TorchSharp.torch;

namespace Acclimate.Pretraining;

/// <summary>
/// Masked-language-model collator: pads a batch of token-id sequences (special tokens already
/// added) and masks it as BERT/RoBERTa. Selection never touches special tokens or padding. With
/// <see cref="WordBoundaries"/> it masks whole words: words are drawn in random order until about
/// <see cref="MlmMaskingOptions.MaskProbability"/> of the maskable tokens are covered (HF's
/// DataCollatorForWholeWordMask rule), and every piece of a chosen word gets the same decision
/// (mask / random / keep) — unlike HF, which decides per piece and so can leave part of a word
/// visible.
/// </summary>
/// <remarks>
/// Every random choice comes from the <see cref="Random"/> passed to <see cref="Collate"/>
/// (dynamic masking) or from a generator derived from the example index and
/// <see cref="MlmMaskingOptions.StaticSeed"/> (static masking); see <see cref="RandomStreams"/>
/// for making the dynamic generator resumable. Token-level counts: with
/// <see cref="MaskSelection.Bernoulli"/> the number selected is Binomial(n, p) per sequence, as
/// HF; the whole-word count is max(1, round(n·p)) over the n maskable (non-special) tokens,
/// where HF counts the special tokens in n too.
/// </remarks>
public sealed class MlmCollator
{
    /// <summary>HF's label for positions that carry no prediction.</summary>
    public const int IgnoreIndex = -100;

    private readonly int[] _replacementIds;
    private readonly Device? _device;

    /// <param name="options">Masking rates and mode (validated here).</param>
    /// <param name="specials">Ids that are never masked and never drawn as random replacements.</param>
    /// <param name="vocabularySize">The model's vocab_size; random replacements are drawn from its non-special ids.</param>
    /// <param name="wholeWords">Word boundaries for whole-word masking; null = token-level masking.</param>
    /// <param name="device">Where the batch tensors are created (the run's device; default the CPU). Masking itself is drawn on the host, so it does not depend on the device.</param>
    public MlmCollator(MlmMaskingOptions options, SpecialTokenIds specials, int vocabularySize, WordBoundaries? wholeWords = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(specials);
        options.Validate();
        if (specials.Mask >= vocabularySize)
            throw new ConfigException($"mask token id {specials.Mask} is outside the vocabulary of {vocabularySize} tokens.");
        if (wholeWords is not null && wholeWords.VocabularySize != vocabularySize)
            throw new ConfigException($"whole-word boundaries cover {wholeWords.VocabularySize} tokens but the vocabulary has {vocabularySize}.");
        _replacementIds = Enumerable.Range(0, vocabularySize).Where(id => !specials.IsSpecial(id)).ToArray();
        if (_replacementIds.Length == 0)
            throw new ConfigException($"every one of the {vocabularySize} vocabulary ids is special; nothing can be masked or drawn.");
        Options = options;
        Specials = specials;
        VocabularySize = vocabularySize;
        WholeWords = wholeWords;
        _device = device;
    }

    /// <summary>Masking probability, replacement fractions, dynamic or static masking.</summary>
    public MlmMaskingOptions Options { get; }
    /// <summary>Ids never selected for masking nor drawn as replacements.</summary>
    public SpecialTokenIds Specials { get; }
    /// <summary>Random replacements are drawn from [0, VocabularySize).</summary>
    public int VocabularySize { get; }
    /// <summary>Word boundaries for whole-word masking, or null for token-level masking.</summary>
    public WordBoundaries? WholeWords { get; }

    /// <summary>
    /// Pads and masks <paramref name="examples"/>. <paramref name="random"/> drives dynamic masking
    /// (required then; ignored by static masking, which needs every example's index).
    /// </summary>
    public MlmBatch Collate(IReadOnlyList<MlmExample> examples, Random? random)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new DataException("cannot collate an empty batch.");
        if (Options.Mode == MaskingMode.Dynamic && random is null)
            throw new ArgumentNullException(nameof(random), "dynamic masking draws from the caller's generator; pass one.");

        var longest = examples.Max(e => e.InputIds.Count);
        if (longest == 0) throw new DataException("every sequence in the batch is empty.");
        var length = Options.PadToMultipleOf is int multiple ? (longest + multiple - 1) / multiple * multiple : longest;
        var batch = examples.Count;
        var hasTypes = examples.Any(e => e.TokenTypeIds is not null);
        var labelled = examples.Count(e => e.SentenceLabel is not null);
        if (labelled != 0 && labelled != batch)
            throw new DataException($"{labelled} of {batch} examples have a sentence label; either all or none must.");

        var ids = new long[batch * length];
        var originals = new long[batch * length];
        var attention = new long[batch * length];
        var types = hasTypes ? new long[batch * length] : null;
        var labels = new long[batch * length];
        Array.Fill(ids, Specials.Pad);
        Array.Fill(originals, Specials.Pad);
        Array.Fill(labels, IgnoreIndex);
        var positions = new List<long>();
        var maskedLabels = new List<long>();

        for (var b = 0; b < batch; b++)
        {
            var example = examples[b];
            var rng = Options.Mode == MaskingMode.Static
                ? RandomStreams.For(Options.StaticSeed, example.ExampleIndex
                    ?? throw new DataException($"static masking keys each mask on the example index, but batch example {b} has none."))
                : random!;
            var masking = MaskSequence(example.InputIds, rng, example.ContinuationPositions);
            if (example.TokenTypeIds is { } t && t.Count != example.InputIds.Count)
                throw new DataException($"batch example {b}: {t.Count} token type ids for {example.InputIds.Count} tokens.");
            var row = b * length;
            for (var i = 0; i < masking.InputIds.Length; i++)
            {
                ids[row + i] = masking.InputIds[i];
                originals[row + i] = example.InputIds[i];
                attention[row + i] = 1;
                if (types is not null && example.TokenTypeIds is { } tt) types[row + i] = tt[i];
                labels[row + i] = masking.Labels[i];
                if (masking.Labels[i] != IgnoreIndex)
                {
                    positions.Add(row + i);
                    maskedLabels.Add(masking.Labels[i]);
                }
            }
        }

        var shape = new long[] { batch, length };
        return new MlmBatch(
            tensor(ids, shape, device: _device), tensor(originals, shape, device: _device), tensor(attention, shape, device: _device),
            types is null ? null : tensor(types, shape, device: _device),
            tensor(labels, shape, device: _device),
            tensor(positions.ToArray(), new long[] { positions.Count }, device: _device),
            tensor(maskedLabels.ToArray(), new long[] { maskedLabels.Count }, device: _device),
            labelled == 0 ? null : tensor(examples.Select(e => (long)e.SentenceLabel!.Value).ToArray(), new long[] { batch }, device: _device))
        {
            RealTokens = examples.Sum(e => (long)e.InputIds.Count),
        };
    }

    /// <summary>Masks one unpadded sequence with draws from <paramref name="random"/>.</summary>
    internal SequenceMasking MaskSequence(IReadOnlyList<int> ids, Random random, IReadOnlyList<int>? continuationPositions = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(random);
        for (var i = 0; i < ids.Count; i++)
            if ((uint)ids[i] >= (uint)VocabularySize)
                throw new DataException($"token id {ids[i]} at position {i} is outside the vocabulary of {VocabularySize} tokens.");

        var input = ids.ToArray();
        var labels = new int[input.Length];
        Array.Fill(labels, IgnoreIndex);
        var actions = new MaskAction[input.Length];

        if (WholeWords is not null)
        {
            foreach (var word in SelectWholeWords(ids, random, continuationPositions))
            {
                var action = DrawAction(random);   // one decision for every piece of the word
                foreach (var p in word) Apply(p, action);
            }
        }
        else
        {
            if (continuationPositions is not null)
                throw new ConfigException("word-continuation positions were given but this collator masks single tokens; build it with WordBoundaries for whole-word masking.");
            foreach (var p in SelectTokens(ids, random)) Apply(p, DrawAction(random));
        }
        return new SequenceMasking(input, labels, actions);

        void Apply(int position, MaskAction action)
        {
            labels[position] = input[position];
            actions[position] = action;
            input[position] = action switch
            {
                MaskAction.Mask => Specials.Mask,
                MaskAction.Random => _replacementIds[random.Next(_replacementIds.Length)],
                _ => input[position],
            };
        }
    }

    private MaskAction DrawAction(Random random)
    {
        var u = random.NextDouble();
        if (u < Options.MaskTokenFraction) return MaskAction.Mask;
        if (u < Options.MaskTokenFraction + Options.RandomTokenFraction) return MaskAction.Random;
        return MaskAction.Keep;
    }

    private int TargetCount(int maskable)
    {
        if (maskable == 0) return 0;
        var count = Math.Max(1, (int)Math.Round(maskable * Options.MaskProbability, MidpointRounding.ToEven));
        return Math.Min(count, Options.MaxPredictionsPerSequence ?? int.MaxValue);
    }

    private List<int> SelectTokens(IReadOnlyList<int> ids, Random random)
    {
        var candidates = new List<int>();
        for (var i = 0; i < ids.Count; i++)
            if (!Specials.IsSpecial(ids[i])) candidates.Add(i);

        List<int> selected;
        if (Options.Selection == MaskSelection.Bernoulli)
        {
            selected = new List<int>();
            foreach (var p in candidates)
                if (random.NextDouble() < Options.MaskProbability) selected.Add(p);
            if (Options.MaxPredictionsPerSequence is int cap && selected.Count > cap)
                selected = PartialShuffle(selected, cap, random);
        }
        else
        {
            selected = PartialShuffle(candidates, TargetCount(candidates.Count), random);
        }
        selected.Sort();
        return selected;
    }

    /// <summary>HF's rule: shuffle the words, then add each word that fits without exceeding the target count.</summary>
    private List<List<int>> SelectWholeWords(IReadOnlyList<int> ids, Random random, IReadOnlyList<int>? continuationPositions)
    {
        var words = WholeWords!.Words(ids, Specials, continuationPositions);
        var target = TargetCount(words.Sum(w => w.Count));
        Shuffle(words, random);
        var chosen = new List<List<int>>();
        var covered = 0;
        foreach (var word in words)
        {
            if (covered >= target) break;
            if (covered + word.Count > target) continue;
            chosen.Add(word);
            covered += word.Count;
        }
        chosen.Sort((a, b) => a[0].CompareTo(b[0]));
        return chosen;
    }

    /// <summary>A uniformly random subset of <paramref name="count"/> items (Fisher–Yates on a copy, stopped early).</summary>
    private static List<int> PartialShuffle(List<int> items, int count, Random random)
    {
        var copy = items.ToArray();
        for (var i = 0; i < count; i++)
        {
            var j = i + random.Next(copy.Length - i);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }
        return copy.Take(count).ToList();
    }

    private static void Shuffle<T>(List<T> items, Random random)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
