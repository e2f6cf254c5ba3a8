using TorchSharp.Modules;
using static TorchSharp.torch;

using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Models.Lora;

namespace Acclimate.Models.Bert;

/// <summary>HF BertAttention (self + output) — the attention half of a BERT layer.</summary>
internal sealed class BertAttention : ExplicitModule
{
    private readonly BertSelfAttention self;
    private readonly BertSublayerOutput output;

    public BertAttention(EncoderConfig config) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config);
        output = new BertSublayerOutput(config.HiddenSize, config);
        register_module(nameof(self), self);
        register_module(nameof(output), output);
    }

    public Tensor Forward(Tensor hidden, Tensor? additiveMask)
    {
        using var context = self.Forward(hidden, additiveMask);
        return output.Forward(context, hidden);
    }
}

/// <summary>HF BertIntermediate: dense to intermediate_size and the hidden activation.</summary>
internal sealed class BertIntermediate : ExplicitModule
{
    private readonly Linear dense;
    private readonly Func<Tensor, Tensor> _activation;

    public BertIntermediate(EncoderConfig config) : base(nameof(BertIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        _activation = Activations.Get(config.HiddenAct, config.SourcePath ?? "config");
        register_module(nameof(dense), dense);
    }

    public Tensor Forward(Tensor hidden)
    {
        using var projected = LoraLinear.Forward(dense, hidden);
        return _activation(projected);
    }
}

/// <summary>HF BertLayer (also RoBERTa's and ELECTRA's): attention, intermediate, output.</summary>
internal sealed class BertLayer : ExplicitModule
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertSublayerOutput output;

    public BertLayer(EncoderConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertSublayerOutput(config.IntermediateSize, config);
        register_module(nameof(attention), attention);
        register_module(nameof(intermediate), intermediate);
        register_module(nameof(output), output);
    }

    public Tensor Forward(Tensor hidden, Tensor? additiveMask)
    {
        using var attended = attention.Forward(hidden, additiveMask);
        using var widened = intermediate.Forward(attended);
        return output.Forward(widened, attended);
    }
}
