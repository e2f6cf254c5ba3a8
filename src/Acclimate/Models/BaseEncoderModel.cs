namespace Acclimate.Models;

/// <summary>HF's bare encoder (BertModel, RobertaModel, AlbertModel, ElectraModel), with a pooler where HF has one.</summary>
public sealed class BaseEncoderModel : TransformerModel
{
    public BaseEncoderModel(EncoderConfig config) : base(config, ModelTask.Base, addPoolingLayer: true) { }

    public override ModelOutputs Forward(ModelInputs inputs) =>
        new(Encoder.Forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds));
}
