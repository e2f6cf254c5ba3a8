using TorchSharp.Modules;
using static TorchSharp.torch;

using Acclimate.Models;

namespace Acclimate.Models.Heads;

/// <summary>
/// HF's <c>classifier</c> of RobertaForSequenceClassification / ElectraForSequenceClassification:
/// first token → dropout → dense → tanh (RoBERTa) or GELU (ELECTRA) → dropout → out_proj.
/// (BERT and ALBERT use a plain Linear on the pooler output instead.)
/// </summary>
internal sealed class FirstTokenClassificationHead : ExplicitModule
{
    private readonly Linear dense;
    private readonly Linear out_proj;
    private readonly double _dropout;
    private readonly bool _gelu;

    public FirstTokenClassificationHead(EncoderConfig config) : base(nameof(FirstTokenClassificationHead))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        out_proj = nn.Linear(config.HiddenSize, config.NumLabels);
        _dropout = config.ClassifierDropout;
        _gelu = config.Family.FirstTokenHeadUsesGelu;
        register_module(nameof(dense), dense);
        register_module(nameof(out_proj), out_proj);
    }

    public Tensor Forward(Tensor lastHidden)
    {
        using var first = FirstToken(lastHidden);
        return Classify(first);
    }

    /// <summary>The representation this head classifies: the first token's hidden state [B, H].</summary>
    public static Tensor FirstToken(Tensor lastHidden) => lastHidden.select(1, 0);

    /// <summary>Logits from first-token representations [B, H].</summary>
    public Tensor Classify(Tensor first)
    {
        using var dropped = nn.functional.dropout(first, _dropout, training);
        using var projected = dense.forward(dropped);
        using var activated = _gelu ? nn.functional.gelu(projected) : projected.tanh();
        using var dropped2 = nn.functional.dropout(activated, _dropout, training);
        return out_proj.forward(dropped2);
    }
}
