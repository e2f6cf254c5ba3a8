using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models.Electra;

/// <summary>
/// ELECTRA: factorized embeddings projected to the hidden width (<c>embeddings_project</c>) when they
/// differ, no pooler, the generator's masked-LM head, and the replaced-token discriminator as its
/// <c>ElectraForPreTraining</c>; sequence classifiers have their own first-token head.
/// </summary>
internal sealed class ElectraFamily : EncoderFamily
{
    public override ModelType Type => ModelType.Electra;
    public override string ClassPrefix => "Electra";
    public override bool HasEmbeddingSize => true;
    public override bool ClassifiesFromPooler => false;
    public override bool FirstTokenHeadUsesGelu => true;

    internal override Linear? CreateEmbeddingProjection(EncoderConfig config) =>
        config.EmbeddingSize != config.HiddenSize ? nn.Linear(config.EmbeddingSize, config.HiddenSize) : null;

    internal override IPooler? CreatePooler(EncoderConfig config) => null;

    internal override MaskedLmHeads CreateMaskedLmHeads(EncoderConfig config, EncoderModel encoder, bool withSentenceHead, Action<string, nn.Module> register)
    {
        if (withSentenceHead) throw new Errors.ConfigException("ELECTRA's pretraining head is the discriminator: use ElectraDiscriminatorModel.");
        var predictions = new ElectraGeneratorPredictions(config);
        var lmHead = new ElectraGeneratorLmHead(config, encoder);
        register("generator_predictions", predictions);
        register("generator_lm_head", lmHead);
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        if (lmHead.IsTied) aliases["generator_lm_head.weight"] = WordEmbeddingKey;
        return new MaskedLmHeads(hidden =>
        {
            using var transformed = predictions.Forward(hidden);
            return lmHead.Forward(transformed);
        }, lmHead.ResizeVocabulary, null, null, aliases);
    }

    internal override TransformerModel CreatePreTrainingModel(EncoderConfig config) => new ElectraDiscriminatorModel(config);
}
