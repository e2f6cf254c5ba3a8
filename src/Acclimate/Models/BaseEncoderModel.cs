namespace Acclimate.Models;

/// <summary>HF's bare encoder (BertModel, RobertaModel, AlbertModel, ElectraModel), with a pooler where HF has one.</summary>
public sealed class BaseEncoderModel : TransformerModel
{
    /// <summary>A fresh (randomly initialized) encoder of <paramref name="config"/>'s shape.</summary>
    public BaseEncoderModel(EncoderConfig config) : base(config, ModelTask.Base, addPoolingLayer: true) { }

    /// <inheritdoc />
    public override ModelOutputs Forward(ModelInputs inputs) =>
        new(Encoder.Forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds));
}
