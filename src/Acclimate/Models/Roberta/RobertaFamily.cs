using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Acclimate.Models.Roberta;

/// <summary>
/// RoBERTa: positions numbered after the padding id (514 rows for 512 tokens), pad id 1 and
/// layer-norm eps 1e-5 in configs built in code, <c>lm_head</c> masked-LM head, no sentence
/// objective and no <c>…ForPreTraining</c>; sequence classifiers have their own first-token head.
/// </summary>
internal sealed class RobertaFamily : EncoderFamily
{
    public override ModelType Type => ModelType.Roberta;
    public override string ClassPrefix => "Roberta";
    public override int DefaultPadTokenId => 1;
    public override bool PositionsFollowPadding => true;
    public override bool ClassifiesFromPooler => false;
    public override bool HasPreTrainingModel => false;

    // HF's RobertaForMaskedLM lists its decoder keys in _keys_to_ignore_on_save.
    public override bool WritesMaskedLmTiedAliases => false;

    internal override void AddCodeConfigDefaults(JsonObject config)
    {
        config["pad_token_id"] = 1;
        config["bos_token_id"] = 0;
        config["eos_token_id"] = 2;
        config["type_vocab_size"] = 1;
        config["layer_norm_eps"] = 1e-5;
    }

    internal override MaskedLmHeads CreateMaskedLmHeads(EncoderConfig config, EncoderModel encoder, bool withSentenceHead, Action<string, nn.Module> register)
    {
        // withSentenceHead never arrives here: Architectures.Name refuses RobertaForPreTraining (HasPreTrainingModel) before any module is built.
        var lmHead = new RobertaLmHead(config, encoder);
        register("lm_head", lmHead);
        return new MaskedLmHeads(lmHead.Forward, lmHead.ResizeVocabulary, null, null, DecoderAliases("lm_head", config.TieWordEmbeddings));
    }
}
