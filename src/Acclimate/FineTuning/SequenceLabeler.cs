using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// A token-labelling model (NER, POS, …): a BERT-family encoder registered under its HF name
/// (<c>bert.</c>, <c>roberta.</c>, …) and a <see cref="SequenceLabelingHead"/> under <c>head.</c>
/// (fusion of the last k layers, linear/BiLSTM/CNN token head, optional CRF). Losses: per-token
/// cross-entropy ignoring -100 without a CRF; with a CRF, its negative log-likelihood over the
/// first subword of each word, gathered into a compact [batch, words] layout. Predictions come
/// back per word.
/// </summary>
/// <remarks>
/// A saved labeler is a folder: the encoder as a plain HF base-model folder (config.json with the
/// label set, model.safetensors with the encoder's keys and no prefix — loadable by HF's
/// AutoModel), plus <c>head_config.json</c> (<see cref="SequenceLabelerOptions"/>) and
/// <c>head.safetensors</c> (the <c>head.*</c> tensors). The folder is written beside the target
/// and renamed into place.
/// <para>
/// Initialize with <see cref="Create"/> (or <see cref="SequenceLabelingHead.ResetParameters"/>),
/// not with a bare <c>InitializeWeights()</c>: HF's rule would also re-draw the scalar mix's
/// gamma, the LSTM and the CRF from N(0, 0.02) instead of their own initializations.
/// </para>
/// </remarks>
public sealed partial class SequenceLabeler : TransformerModel
{
    /// <summary>The file in a saved labeler's folder that describes the head (<see cref="SequenceLabelerOptions"/>).</summary>
    public const string HeadConfigFileName = "head_config.json";
    /// <summary>The file in a saved labeler's folder that holds the head's weights (the encoder's are in model.safetensors).</summary>
    public const string HeadWeightsFileName = "head.safetensors";
    /// <summary>The state-dict prefix of every head tensor.</summary>
    public const string HeadPrefix = "head.";

    private readonly SequenceLabelingHead head;

    /// <summary>A labeler with untrained weights (TorchSharp's defaults); use <see cref="Create"/>, <see cref="FromPretrained"/> or <see cref="Load"/>.</summary>
    public SequenceLabeler(EncoderConfig config, SequenceLabelerOptions options)
        : base(config.WithLabels(options?.Labels ?? throw new ArgumentNullException(nameof(options))), ModelTask.TokenClassification, addPoolingLayer: false)
    {
        head = new SequenceLabelingHead(config.HiddenSize, config.NumHiddenLayers + 1, options);
        register_module(nameof(head), head);
        Options = options;
    }

    /// <summary>The head's settings and label list.</summary>
    public SequenceLabelerOptions Options { get; }

    internal SequenceLabelingHead Head => head;

    /// <summary>Label names by id.</summary>
    public IReadOnlyList<string> Labels => Options.Labels;

    /// <summary>A new labeler initialized as HF initializes a fresh model (encoder) and as <see cref="SequenceLabelingHead.ResetParameters"/> (head).</summary>
    public static SequenceLabeler Create(EncoderConfig config, SequenceLabelerOptions options)
    {
        TorchRuntime.EnsureInitialized();
        var labeler = new SequenceLabeler(config, options);
        labeler.InitializeWeights(new[] { labeler.BackboneName });
        labeler.head.ResetParameters(config.InitializerRange);
        return labeler;
    }

    /// <summary>
    /// HF-style entry point for training loops: <c>logits</c> are the per-token emissions, the loss
    /// is computed from <see cref="ModelInputs.Labels"/> when given. With a CRF, the words are the
    /// label-bearing positions (label ≠ -100), i.e. this expects first-subword-only labels; use
    /// <see cref="Run"/> with explicit word starts for all-subword labels.
    /// </summary>
    public override ModelOutputs Forward(ModelInputs inputs)
    {
        var mask = inputs.AttentionMask ?? ones_like(inputs.InputIds);
        var output = Run(new SequenceLabelerBatch(inputs.InputIds, mask, null, inputs.TokenTypeIds, inputs.Labels));
        var outputs = new ModelOutputs(output.Encoder);
        outputs.Add("logits", output.TokenEmissions);
        outputs.Loss = output.Loss;
        return outputs;
    }

    /// <summary>Runs encoder and head on a batch; computes word-level scores when word starts are known and the loss when labels are given.</summary>
    public SequenceLabelerOutput Run(SequenceLabelerBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var realTokens = ValidateBatch(batch);
        var encoded = Encoder.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
        var emissions = head.Emissions(encoded.HiddenStates, batch.AttentionMask);

        var wordStarts = batch.WordStarts;
        if (wordStarts is null && batch.Labels is not null && head.Crf is not null)
            wordStarts = batch.Labels.ne(SubwordAlignment.IgnoreIndex);
        WordPositions? words = null;
        Tensor? wordEmissions = null;
        if (wordStarts is not null)
        {
            using var startsOnRealTokens = (wordStarts.dtype == ScalarType.Bool ? wordStarts : wordStarts.ne(0)).logical_and(realTokens);
            words = WordPositions.FromWordStarts(startsOnRealTokens);
            wordEmissions = words.Gather(emissions);
        }

        Tensor? loss = null;
        if (batch.Labels is not null)
        {
            if (head.Crf is not null)
            {
                using var wordLabels = words!.Gather(batch.Labels);
                loss = head.Crf.NegativeLogLikelihood(wordEmissions!, wordLabels, words.Mask, Options.CrfReduction);
            }
            else
            {
                loss = TokenCrossEntropy(emissions, batch.Labels, realTokens);
            }
        }
        return new SequenceLabelerOutput(encoded, emissions, words, wordEmissions, loss);
    }

    /// <summary>
    /// The best label id of every word of every row (Viterbi with a CRF, argmax without), in word
    /// order; needs an output computed with word starts.
    /// </summary>
    public IReadOnlyList<int[]> DecodeWords(SequenceLabelerOutput output)
    {
        if (output.Words is null || output.WordEmissions is null)
            throw new InvalidOperationException("decoding needs word starts: run the batch with SequenceLabelerBatch.WordStarts set.");
        return DecodeWords(output.WordEmissions, output.Words.Mask);
    }

    /// <summary>
    /// Label ids per word for each input (token ids with the model's special tokens). Words the
    /// tokenizer gave no token get null. Runs in eval mode without gradients, in batches.
    /// </summary>
    public IReadOnlyList<int?[]> PredictWords(IReadOnlyList<LabelerInput> inputs, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (batchSize <= 0) throw new ConfigException($"batch size must be positive; got {batchSize}.");
        var results = new List<int?[]>(inputs.Count);
        using var mode = new EvalModeScope(this);
        using var _ = no_grad();
        for (var first = 0; first < inputs.Count; first += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = inputs.Skip(first).Take(batchSize).ToArray();
            var batch = Collate(chunk);
            var paths = DecodeWords(Run(batch));
            for (var i = 0; i < chunk.Length; i++) results.Add(PathToWords(paths[i], chunk[i].WordIds, chunk[i].WordCount));
        }
        return results;
    }

    /// <summary>
    /// Label ids per word for a sequence longer than the model takes: <paramref name="content"/>
    /// holds the tokens without special tokens; the sequence is cut into overlapping windows of
    /// <paramref name="maxLength"/> positions (default: the model's maximum) with
    /// <paramref name="prefix"/>/<paramref name="suffix"/> specials added to each, every token's
    /// scores are taken from the window where it has the most context, and the words are decoded
    /// once over the whole sequence (the CRF sees the full word sequence, not window pieces).
    /// </summary>
    public int?[] PredictWordsLong(LabelerInput content, IReadOnlyList<long> prefix, IReadOnlyList<long> suffix, int stride, int? maxLength = null, int batchSize = 8)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.WordIds.Count != content.InputIds.Count)
            throw new DataException($"{content.InputIds.Count} token ids but {content.WordIds.Count} word ids; expected one word id per token.");
        using var mode = new EvalModeScope(this);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        if (content.InputIds.Count == 0) return new int?[content.WordCount];
        var emissions = TokenEmissionsLong(content.InputIds, prefix, suffix, stride, maxLength, batchSize);
        var starts = tensor(SubwordAlignment.WordStarts(content.WordIds), device: emissions.device).unsqueeze(0);
        using var words = WordPositions.FromWordStarts(starts);
        var paths = DecodeWords(words.Gather(emissions.unsqueeze(0)), words.Mask);
        return PathToWords(paths[0], content.WordIds, content.WordCount);
    }

    /// <summary>
    /// Per-token emissions [content length, labels] of a long sequence, merged from sliding
    /// windows (see <see cref="PredictWordsLong"/>). Gradients flow when called outside no_grad.
    /// </summary>
    public Tensor TokenEmissionsLong(IReadOnlyList<long> contentIds, IReadOnlyList<long> prefix, IReadOnlyList<long> suffix, int stride, int? maxLength = null, int batchSize = 8)
    {
        var limit = maxLength ?? Encoder.MaxSequenceLength;
        if (limit > Encoder.MaxSequenceLength)
            throw new ConfigException($"window length {limit} exceeds the model's maximum of {Encoder.MaxSequenceLength} positions.");
        var plan = SlidingWindowPlan.ForModel(contentIds.Count, limit, prefix.Count + suffix.Count, stride);
        var device = Encoder.Embeddings.parameters().First().device;
        return SlidingWindowRunner.Run(plan, contentIds, prefix, suffix, ids =>
        {
            using var mask = ones_like(ids);
            var encoded = Encoder.Forward(ids, mask);
            return head.Emissions(encoded.HiddenStates, mask);
        }, batchSize, device);
    }

    /// <summary>
    /// Right-pads tokenized inputs into a batch (pad id from the config), with attention mask and
    /// word starts from the word ids; labels are not included.
    /// </summary>
    public SequenceLabelerBatch Collate(IReadOnlyList<LabelerInput> inputs) =>
        SequenceLabelerBatch.Collate(inputs, Config.PadTokenId, Encoder.Embeddings.parameters().First().device);

    private IReadOnlyList<int[]> DecodeWords(Tensor wordEmissions, Tensor wordMask)
    {
        if (head.Crf is not null) return head.Crf.Decode(wordEmissions, wordMask).Paths;
        using var scope = NewDisposeScope();
        var best = TensorData.ToArray<long>(wordEmissions.argmax(-1));
        var counts = TensorData.ToArray<long>(wordMask.sum(1));
        var width = (int)wordEmissions.shape[1];
        return counts.Select((n, r) => Enumerable.Range(0, (int)n).Select(w => (int)best[r * width + w]).ToArray()).ToArray();
    }

    // The j-th label of a path belongs to the j-th word-start token; its word id names the word.
    private static int?[] PathToWords(int[] path, IReadOnlyList<int?> wordIds, int wordCount)
    {
        var result = new int?[wordCount];
        var starts = SubwordAlignment.WordStarts(wordIds);
        var j = 0;
        for (var t = 0; t < wordIds.Count; t++)
        {
            if (!starts[t]) continue;
            var word = wordIds[t]!.Value;
            if (word >= wordCount) throw new DataException($"token {t} has word id {word}; the input says it has {wordCount} words.");
            result[word] = path[j++];
        }
        return result;
    }

    private static Tensor TokenCrossEntropy(Tensor emissions, Tensor labels, Tensor realTokens)
    {
        using var scope = NewDisposeScope();
        var masked = labels.masked_fill(realTokens.logical_not(), SubwordAlignment.IgnoreIndex);
        var flatLogits = emissions.reshape(-1, emissions.shape[^1]);
        var flatLabels = masked.reshape(-1);
        // Sum over labelled tokens divided by their count (at least 1): HF's mean, but a batch
        // without any label gives 0 instead of NaN.
        var summed = nn.functional.cross_entropy(flatLogits, flatLabels, ignore_index: SubwordAlignment.IgnoreIndex, reduction: nn.Reduction.Sum);
        var count = flatLabels.ne(SubwordAlignment.IgnoreIndex).sum().clamp_min(1).to(summed.dtype);
        return (summed / count).MoveToOuterDisposeScope();
    }

    private static Tensor ValidateBatch(SequenceLabelerBatch batch)
    {
        var shape = batch.InputIds.shape;
        foreach (var (t, name) in new[] { (batch.AttentionMask, "attention mask"), (batch.WordStarts, "word starts"), (batch.Labels, "labels") })
            if (t is not null && !t.shape.SequenceEqual(shape))
                throw new DataException($"sequence labeler: {name} has shape [{string.Join(", ", t.shape)}], input ids [{string.Join(", ", shape)}].");
        if (batch.Labels is not null && batch.Labels.dtype != ScalarType.Int64)
            throw new DataException($"sequence labeler: labels must be int64; got {batch.Labels.dtype}.");
        var real = batch.AttentionMask.ne(0);
        if (!TensorChecks.ShouldRun(real)) return real;
        using (var lengths = real.sum(1))
        using (var prefix = arange(shape[1], device: real.device).unsqueeze(0).lt(lengths.unsqueeze(1)))
        using (var same = prefix.eq(real).all())
            if (!same.item<bool>())
                throw new DataException("sequence labeler: attention mask rows must be ones followed by zeros (right padding).");
        return real;
    }
}
