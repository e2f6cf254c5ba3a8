using Acclimate.Errors;
using Acclimate.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// The head of a <see cref="SequenceLabeler"/>: fuses the encoder's hidden states, runs the
/// chosen token head (linear, BiLSTM or CNN) to per-token label scores (emissions), and holds the
/// optional CRF. Submodule names are the state-dict names under the labeler's <c>head.</c> prefix:
/// <c>scalar_mix.{weights,gamma}</c>, <c>lstm.{weight_ih_l0,…}</c>, <c>convs.{i}.{weight,bias}</c>,
/// <c>classifier.{weight,bias}</c>, <c>crf.{start_transitions,end_transitions,transitions}</c>.
/// </summary>
/// <remarks>
/// Padding never reaches the real tokens' outputs: the BiLSTM runs on packed sequences (each row
/// stops at its length, in both directions), and the CNN zeroes padded positions before convolving,
/// which is exactly the zero padding a shorter row would get at its end.
/// </remarks>
internal sealed class SequenceLabelingHead : ExplicitModule
{
    private readonly ScalarMix? scalar_mix;
    private readonly LSTM? lstm;
    private readonly ModuleList<Conv1d>? convs;
    private readonly Linear classifier;
    private readonly ConditionalRandomField? crf;
    private readonly SequenceLabelerOptions _options;

    /// <param name="hiddenSize">The encoder's hidden width.</param>
    /// <param name="hiddenStates">How many hidden states the encoder returns (layers + 1).</param>
    public SequenceLabelingHead(int hiddenSize, int hiddenStates, SequenceLabelerOptions options) : base(nameof(SequenceLabelingHead))
    {
        options.Validate(hiddenStates);
        _options = options;
        var layers = options.Fusion == LayerFusion.Last ? 1 : options.FusedLayers;
        if (options.Fusion == LayerFusion.ScalarMix)
        {
            scalar_mix = new ScalarMix(layers);
            register_module(nameof(scalar_mix), scalar_mix);
        }
        var featureSize = options.Fusion == LayerFusion.Concat ? hiddenSize * layers : hiddenSize;
        FeatureSize = featureSize;
        var classifierInput = featureSize;
        switch (options.Head)
        {
            case TokenHeadKind.BiLstm:
                lstm = nn.LSTM(featureSize, options.LstmHiddenSize, options.LstmLayers, batchFirst: true,
                    dropout: options.LstmLayers > 1 ? options.LstmDropout : 0.0, bidirectional: true);
                register_module(nameof(lstm), lstm);
                classifierInput = 2 * options.LstmHiddenSize;
                break;
            case TokenHeadKind.Cnn:
                convs = new ModuleList<Conv1d>();
                // Valid convolutions on explicitly padded input (see RunConvolutions), not padding: Same.
                foreach (var k in options.CnnKernelSizes)
                    convs.Add(nn.Conv1d(featureSize, options.CnnChannels, k));
                register_module(nameof(convs), convs);
                classifierInput = options.CnnChannels * options.CnnKernelSizes.Count;
                break;
        }
        classifier = nn.Linear(classifierInput, options.NumLabels);
        register_module(nameof(classifier), classifier);
        if (options.UseCrf)
        {
            crf = new ConditionalRandomField(options.NumLabels, options.CrfConstraints);
            register_module(nameof(crf), crf);
        }
    }

    public SequenceLabelerOptions Options => _options;

    /// <summary>Width of the fused features the token head reads.</summary>
    public int FeatureSize { get; }

    /// <summary>The CRF, or null for a head trained with per-token cross-entropy.</summary>
    public ConditionalRandomField? Crf => crf;

    /// <summary>The scalar mix, or null unless fusion is scalar_mix.</summary>
    public ScalarMix? Mix => scalar_mix;

    /// <summary>
    /// Fresh weights: HF's init for the classifier (N(0, initializer range), bias 0), PyTorch's
    /// defaults for the LSTM and convolutions (re-drawn here), an equal scalar mix, and
    /// pytorch-crf's U(−0.1, 0.1) for the CRF.
    /// </summary>
    public void ResetParameters(double initializerRange)
    {
        using var _ = no_grad();
        classifier.weight!.normal_(0, initializerRange);
        classifier.bias!.zero_();
        scalar_mix?.ResetParameters();
        crf?.ResetParameters();
        if (lstm is not null)
        {
            var bound = 1.0 / Math.Sqrt(_options.LstmHiddenSize);
            foreach (var p in lstm.parameters()) p.uniform_(-bound, bound);
        }
        if (convs is not null)
            foreach (var conv in convs)
            {
                // PyTorch's Conv default: kaiming_uniform(a=√5) ⇒ U(±1/√fan_in) for weight and bias.
                var bound = 1.0 / Math.Sqrt(conv.weight!.shape[1] * conv.weight.shape[2]);
                conv.weight.uniform_(-bound, bound);
                conv.bias!.uniform_(-bound, bound);
            }
    }

    /// <summary>
    /// Per-token label scores [B, L, labels] from the encoder's hidden states (num_layers + 1
    /// tensors of [B, L, H]). <paramref name="attentionMask"/> [B, L] marks real tokens; each row's
    /// real tokens must be a prefix (right padding).
    /// </summary>
    public Tensor Emissions(IReadOnlyList<Tensor> hiddenStates, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var features = Fuse(hiddenStates);
        var dropped = nn.functional.dropout(features, _options.Dropout, training);
        var tokens = _options.Head switch
        {
            TokenHeadKind.BiLstm => RunLstm(dropped, attentionMask),
            TokenHeadKind.Cnn => RunConvolutions(dropped, attentionMask),
            _ => dropped,
        };
        if (_options.Head != TokenHeadKind.Linear) tokens = nn.functional.dropout(tokens, _options.Dropout, training);
        return classifier.forward(tokens).MoveToOuterDisposeScope();
    }

    /// <summary>The token features the head reads: the last hidden state, or the fusion of the last k.</summary>
    public Tensor Fuse(IReadOnlyList<Tensor> hiddenStates)
    {
        var k = _options.Fusion == LayerFusion.Last ? 1 : _options.FusedLayers;
        if (hiddenStates.Count < k)
            throw new DataException($"sequence labeler: fusing the last {k} layers needs at least {k} hidden states; the encoder returned {hiddenStates.Count}.");
        var last = hiddenStates.Skip(hiddenStates.Count - k).ToArray();
        using var scope = NewDisposeScope();
        var fused = _options.Fusion switch
        {
            LayerFusion.Last => last[0].alias(),
            LayerFusion.Mean => stack(last, 0).mean(new long[] { 0 }),
            LayerFusion.Concat => cat(last, -1),
            LayerFusion.ScalarMix => scalar_mix!.Forward(last),
            _ => throw new ConfigException($"unknown fusion {_options.Fusion}"),
        };
        return fused.MoveToOuterDisposeScope();
    }

    private Tensor RunLstm(Tensor features, Tensor attentionMask)
    {
        var length = features.shape[1];
        // Packing needs CPU int64 lengths; rows are processed only up to their length in both
        // directions, so the backward pass of a real token never starts in padding.
        var lengths = attentionMask.ne(0).sum(1).to(ScalarType.Int64).cpu();
        if (lengths.min().item<long>() == 0)
            throw new DataException("sequence labeler: a row has no real token (attention mask all zero); the BiLSTM cannot pack it.");
        using var packed = nn.utils.rnn.pack_padded_sequence(features, lengths, batch_first: true, enforce_sorted: false);
        var (output, hN, cN) = lstm!.call(packed);
        using (output)
        {
            hN.Dispose();
            cN.Dispose();
            var (padded, _) = nn.utils.rnn.pad_packed_sequence(output, batch_first: true, padding_value: 0.0, total_length: length);
            return padded;
        }
    }

    private Tensor RunConvolutions(Tensor features, Tensor attentionMask)
    {
        // Zeroed padding is what a shorter row sees past its end anyway, so real outputs do not
        // depend on how much padding follows (or on what the encoder wrote there).
        using var masked = features.masked_fill(attentionMask.eq(0).unsqueeze(2), 0);
        var batch = masked.shape[0];
        var length = masked.shape[1];
        var channels = masked.shape[2];
        var outputs = new Tensor[convs!.Count];
        try
        {
            for (var i = 0; i < outputs.Length; i++)
            {
                // "Same" output length, zeros on both sides; an even width k puts the extra zero on
                // the right ((k − 1) / 2 left, the rest right), as PyTorch's padding='same' does.
                var width = _options.CnnKernelSizes[i];
                var left = (width - 1) / 2;
                using var padded = nn.functional.pad(masked, new long[] { 0, 0, left, width - 1 - left });
                // The convolution as windows times the kernel matrix: unfold gives [B, L, C, k], the
                // same (channel, offset) order as the Conv1d weight [out, C, k]. libtorch's own CPU
                // convolution (0.107 / libtorch 2.10) returned NaN input gradients with two or more
                // intra-op threads on this machine (SequenceLabelerTests' CNN cases under
                // OMP_NUM_THREADS=2); a matrix product has no such path and keeps the convs.{i}.*
                // parameters (and checkpoints) as they were.
                using var windows = padded.unfold(1, width, 1);
                using var flat = windows.reshape(batch, length, channels * width);
                var conv = convs[i];
                using var kernel = conv.weight!.reshape(conv.weight.shape[0], channels * width);
                using var projected = nn.functional.linear(flat, kernel, conv.bias);
                outputs[i] = nn.functional.relu(projected);
            }
            return cat(outputs, 2);
        }
        finally
        {
            foreach (var o in outputs) o?.Dispose();
        }
    }
}
