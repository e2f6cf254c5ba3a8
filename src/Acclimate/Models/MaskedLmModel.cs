using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// Masked-language-model heads for every architecture, and the sentence-level pretraining heads
/// that go with them: BertForMaskedLM / BertForPreTraining (MLM + NSP), RobertaForMaskedLM,
/// AlbertForMaskedLM / AlbertForPreTraining (MLM + SOP), ElectraForMaskedLM (the generator).
/// Outputs <c>prediction_logits</c> and, with a sentence head, <c>seq_relationship_logits</c>
/// (BERT) or <c>sop_logits</c> (ALBERT); the loss is MLM CE plus the sentence CE when both labels
/// are given, as HF.
/// </summary>
public sealed class MaskedLmModel : TransformerModel
{
    private readonly MaskedLmHeads _heads;

    /// <summary>A fresh masked-LM model of <paramref name="config"/>'s shape.</summary>
    /// <param name="config">The model's config.</param>
    /// <param name="withSentenceHead">Add the NSP (BERT) or SOP (ALBERT) head: the ForPreTraining model.</param>
    public MaskedLmModel(EncoderConfig config, bool withSentenceHead)
        : base(config, withSentenceHead ? ModelTask.PreTraining : ModelTask.MaskedLM,
               addPoolingLayer: withSentenceHead)
    {
        _heads = config.Family.CreateMaskedLmHeads(config, Encoder, withSentenceHead, (name, module) => register_module(name, module));
    }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> TiedAliases => _heads.TiedAliases;

    /// <inheritdoc />
    public override bool WritesTiedAliases => Config.Family.WritesMaskedLmTiedAliases;

    /// <inheritdoc />
    protected override void ResizeHeads(int newSize, Tensor? newRows) => _heads.ResizeVocabulary(newSize, newRows);

    /// <summary>Vocabulary logits for the given hidden states (e.g. only the masked positions, to save work).</summary>
    public Tensor PredictTokens(Tensor hidden) => _heads.PredictTokens(hidden);

    /// <inheritdoc />
    public override ModelOutputs Forward(ModelInputs inputs)
    {
        var encoded = Encoder.Forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds);
        var outputs = new ModelOutputs(encoded);
        var tokenLogits = _heads.PredictTokens(encoded.LastHiddenState);
        outputs.Add("prediction_logits", tokenLogits);
        Tensor? sentenceLogits = null;
        if (_heads.PredictSentence is not null)
        {
            sentenceLogits = _heads.PredictSentence(encoded.PoolerOutput!);
            outputs.Add(_heads.SentenceOutputName!, sentenceLogits);
        }
        if (inputs.Labels is not null)
        {
            var loss = MaskedLmLoss(tokenLogits, inputs.Labels);
            if (sentenceLogits is not null && inputs.SentenceLabels is not null)
            {
                using var mlm = loss;
                using var sentence = nn.functional.cross_entropy(sentenceLogits.reshape(-1, 2), inputs.SentenceLabels.reshape(-1));
                loss = mlm + sentence;
            }
            outputs.Loss = loss;
        }
        return outputs;
    }
}
