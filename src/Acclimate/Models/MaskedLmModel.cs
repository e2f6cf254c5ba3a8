using Acclimate.Models.Albert;
using Acclimate.Models.Bert;
using Acclimate.Models.Electra;
using Acclimate.Models.Roberta;
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
    private readonly Func<Tensor, Tensor> _predictTokens;
    private readonly Action<int, Tensor?> _resizeHead;
    private readonly Func<Tensor, Tensor>? _predictSentence;
    private readonly string? _sentenceOutputName;
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);

    public MaskedLmModel(EncoderConfig config, bool withSentenceHead)
        : base(config, withSentenceHead ? ModelTask.PreTraining : ModelTask.MaskedLM,
               addPoolingLayer: withSentenceHead)
    {
        var wordKey = $"{BackboneName}.embeddings.word_embeddings.weight";
        switch (config.ModelType)
        {
            case ModelType.Bert:
                var cls = new BertPreTrainingHeads(config, Encoder, withSentenceHead);
                register_module("cls", cls);
                _predictTokens = cls.PredictTokens;
                _resizeHead = cls.ResizeVocabulary;
                if (withSentenceHead) { _predictSentence = cls.PredictNextSentence; _sentenceOutputName = "seq_relationship_logits"; }
                AddDecoderAliases("cls.predictions", wordKey, config.TieWordEmbeddings);
                break;
            case ModelType.Roberta:
                if (withSentenceHead) throw new Errors.ConfigException("RoBERTa has no sentence-level pretraining head; use MaskedLM.");
                var lmHead = new RobertaLmHead(config, Encoder);
                register_module("lm_head", lmHead);
                _predictTokens = lmHead.Forward;
                _resizeHead = lmHead.ResizeVocabulary;
                AddDecoderAliases("lm_head", wordKey, config.TieWordEmbeddings);
                break;
            case ModelType.Albert:
                var predictions = new AlbertMlmHead(config, Encoder);
                register_module("predictions", predictions);
                _predictTokens = predictions.Forward;
                _resizeHead = predictions.ResizeVocabulary;
                if (withSentenceHead)
                {
                    var sop = new AlbertSopHead(config);
                    register_module("sop_classifier", sop);
                    _predictSentence = sop.Forward;
                    _sentenceOutputName = "sop_logits";
                }
                AddDecoderAliases("predictions", wordKey, config.TieWordEmbeddings);
                break;
            default:
                if (withSentenceHead) throw new Errors.ConfigException("ELECTRA's pretraining head is the discriminator: use ElectraDiscriminatorModel.");
                var generatorPredictions = new ElectraGeneratorPredictions(config);
                var generatorLmHead = new ElectraGeneratorLmHead(config, Encoder);
                register_module("generator_predictions", generatorPredictions);
                register_module("generator_lm_head", generatorLmHead);
                _predictTokens = hidden =>
                {
                    using var transformed = generatorPredictions.Forward(hidden);
                    return generatorLmHead.Forward(transformed);
                };
                _resizeHead = generatorLmHead.ResizeVocabulary;
                if (generatorLmHead.IsTied) _aliases["generator_lm_head.weight"] = wordKey;
                break;
        }
    }

    public override IReadOnlyDictionary<string, string> TiedAliases => _aliases;

    // HF's RobertaForMaskedLM lists its decoder keys in _keys_to_ignore_on_save.
    public override bool WritesTiedAliases => Config.ModelType != ModelType.Roberta;

    protected override void ResizeHeads(int newSize, Tensor? newRows) => _resizeHead(newSize, newRows);

    /// <summary>Vocabulary logits for the given hidden states (e.g. only the masked positions, to save work).</summary>
    public Tensor PredictTokens(Tensor hidden) => _predictTokens(hidden);

    public override ModelOutputs Forward(ModelInputs inputs)
    {
        var encoded = Encoder.Forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds);
        var outputs = new ModelOutputs(encoded);
        var tokenLogits = _predictTokens(encoded.LastHiddenState);
        outputs.Add("prediction_logits", tokenLogits);
        Tensor? sentenceLogits = null;
        if (_predictSentence is not null)
        {
            sentenceLogits = _predictSentence(encoded.PoolerOutput!);
            outputs.Add(_sentenceOutputName!, sentenceLogits);
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

    private void AddDecoderAliases(string head, string wordKey, bool tied)
    {
        if (tied) _aliases[$"{head}.decoder.weight"] = wordKey;
        _aliases[$"{head}.decoder.bias"] = $"{head}.bias";
    }
}
