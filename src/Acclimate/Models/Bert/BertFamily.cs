using static TorchSharp.torch;

namespace Acclimate.Models.Bert;

/// <summary>
/// BERT: the shared encoder as it is (independent layers, <c>pooler.dense</c>), masked-LM and
/// next-sentence heads under <c>cls.*</c>; sequence classifiers read the pooler.
/// </summary>
internal sealed class BertFamily : EncoderFamily
{
    public override ModelType Type => ModelType.Bert;
    public override string ClassPrefix => "Bert";
    public override string? SentenceObjective => "NSP";

    internal override MaskedLmHeads CreateMaskedLmHeads(EncoderConfig config, EncoderModel encoder, bool withSentenceHead, Action<string, nn.Module> register)
    {
        var cls = new BertPreTrainingHeads(config, encoder, withSentenceHead);
        register("cls", cls);
        return new MaskedLmHeads(cls.PredictTokens, cls.ResizeVocabulary,
            withSentenceHead ? cls.PredictNextSentence : null, withSentenceHead ? "seq_relationship_logits" : null,
            DecoderAliases("cls.predictions", config.TieWordEmbeddings));
    }
}
