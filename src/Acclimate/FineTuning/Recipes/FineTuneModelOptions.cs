using Acclimate.Training;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>
/// The <c>model:</c> section of a fine-tuning recipe: the pretrained encoder folder and the head
/// put on it (token heads: linear/BiLSTM/CNN, optional CRF, layer fusion; sequence heads: pooler
/// or mean pooling), plus how inputs are cut to the model's length.
/// </summary>
public sealed record FineTuneModelOptions : IValidatedOptions
{
    /// <summary>Token classification (tagging) or sequence classification.</summary>
    public FineTuneTask Task { get; init; } = FineTuneTask.TokenClassification;

    /// <summary>HF model folder of the pretrained encoder (config.json, model.safetensors, tokenizer files).</summary>
    public string Encoder { get; init; } = "";

    /// <summary>Tokenizer folder; null = the encoder folder.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>Token head on the encoder's states: linear, BiLSTM or CNN.</summary>
    public TokenHeadKind Head { get; init; } = TokenHeadKind.Linear;

    /// <summary>A CRF over the head's per-word scores (NLL training, Viterbi decoding).</summary>
    public bool Crf { get; init; }

    /// <summary>Forbid the transitions the tagging scheme forbids (e.g. O → I-X in BIO); only with a CRF and a scheme.</summary>
    public bool ConstrainCrf { get; init; } = true;

    /// <summary>How hidden states of the last layers are combined before the head.</summary>
    public LayerFusion Fusion { get; init; } = LayerFusion.Last;

    /// <summary>Number of last hidden states fused (1 with fusion 'last').</summary>
    public int FusedLayers { get; init; } = 1;

    /// <summary>Dropout before the head.</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>BiLSTM head: hidden size per direction.</summary>
    public int LstmHiddenSize { get; init; } = 256;

    /// <summary>BiLSTM head: stacked layers.</summary>
    public int LstmLayers { get; init; } = 1;

    /// <summary>CNN head: kernel widths, one convolution each.</summary>
    public IReadOnlyList<int> CnnKernelSizes { get; init; } = new[] { 3 };

    /// <summary>CNN head: output channels of each convolution.</summary>
    public int CnnChannels { get; init; } = 128;

    /// <summary>Which subwords carry a word's label in training (first_subword or all_subwords).</summary>
    public LabelAlignment LabelAlignment { get; init; } = LabelAlignment.FirstSubword;

    /// <summary>Longest model input in tokens, special tokens included.</summary>
    public int MaxLength { get; init; } = 128;

    /// <summary>Tokens shared by consecutive windows when a sentence is longer than <see cref="MaxLength"/> at prediction time.</summary>
    public int Stride { get; init; } = 32;

    /// <summary>Classification: the sentence vector (the encoder's pooler or the mean of the token states).</summary>
    public ClassificationPooling Pooling { get; init; } = ClassificationPooling.Pooler;

    /// <summary>Classification: which tokens survive truncation (head, tail, head_tail).</summary>
    public TruncationStrategy Truncation { get; init; } = TruncationStrategy.Head;

    /// <summary>Classification with head_tail: how many of the kept tokens come from the head.</summary>
    public int HeadTokens { get; init; } = 64;

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Encoder)) yield return "encoder must name a pretrained model folder";
        if (MaxLength < 8) yield return $"max_length must be >= 8 (got {MaxLength})";
        if (Stride < 0 || Stride >= MaxLength - 2) yield return $"stride must be in [0, max_length - 2) (got {Stride})";
        if (FusedLayers < 1) yield return $"fused_layers must be >= 1 (got {FusedLayers})";
        if (Fusion == LayerFusion.Last && FusedLayers != 1) yield return $"fusion 'last' uses one layer; fused_layers is {FusedLayers} (choose mean, concat or scalar_mix)";
        if (!(Dropout >= 0 && Dropout < 1)) yield return $"dropout must be in [0, 1) (got {Dropout})";
        if (HeadTokens < 0) yield return $"head_tokens must be >= 0 (got {HeadTokens})";
    }
}
