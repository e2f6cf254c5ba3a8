using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models.Albert;

/// <summary>
/// ALBERT: factorized embeddings (<c>embedding_size</c>), layers shared in groups, a bare-Linear
/// pooler, <c>gelu_new</c> and no dropout by default, classifier dropout from
/// <c>classifier_dropout_prob</c> (0.1), masked-LM <c>predictions</c> and sentence-order head.
/// </summary>
internal sealed class AlbertFamily : EncoderFamily
{
    public override ModelType Type => ModelType.Albert;
    public override string ClassPrefix => "Albert";
    public override string DefaultHiddenAct => "gelu_new";
    public override double DefaultDropout => 0.0;
    public override bool HasEmbeddingSize => true;
    public override string ClassifierDropoutKey => "classifier_dropout_prob";
    public override double? DefaultClassifierDropout => 0.1;
    public override string? SentenceObjective => "SOP";

    /// <summary>
    /// ALBERT's layers are shared (every use of a layer group runs the same modules), so an adapter on
    /// one of them is shared the same way: one A and B per shared Linear, merged into the shared weight.
    /// </summary>
    internal override IReadOnlyDictionary<string, string> LoraTargetPatterns { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["query"] = Layer + @"attention\.query",
        ["key"] = Layer + @"attention\.key",
        ["value"] = Layer + @"attention\.value",
        ["attention_output"] = Layer + @"attention\.dense",
        ["intermediate"] = Layer + "ffn",
        ["output"] = Layer + "ffn_output",
    };

    private const string Layer = @"encoder\.albert_layer_groups\.\d+\.albert_layers\.\d+\.";

    internal override ITransformerStack CreateStack(EncoderConfig config) => new AlbertTransformer(config);

    internal override IPooler? CreatePooler(EncoderConfig config) => new AlbertPooler(config);

    internal override MaskedLmHeads CreateMaskedLmHeads(EncoderConfig config, EncoderModel encoder, bool withSentenceHead, Action<string, nn.Module> register)
    {
        var predictions = new AlbertMlmHead(config, encoder);
        register("predictions", predictions);
        AlbertSopHead? sop = null;
        if (withSentenceHead)
        {
            sop = new AlbertSopHead(config);
            register("sop_classifier", sop);
        }
        return new MaskedLmHeads(predictions.Forward, predictions.ResizeVocabulary, sop is null ? null : sop.Forward, sop is null ? null : "sop_logits",
            DecoderAliases("predictions", config.TieWordEmbeddings));
    }

    /// <summary>ALBERT's pooler is a bare Linear (keys <c>pooler.weight</c>/<c>pooler.bias</c>) and tanh on the first token.</summary>
    private sealed class AlbertPooler : IPooler
    {
        private readonly Linear _dense;

        public AlbertPooler(EncoderConfig config) => _dense = nn.Linear(config.HiddenSize, config.HiddenSize);

        public nn.Module Module => _dense;

        public Tensor Forward(Tensor lastHidden)
        {
            using var first = lastHidden.select(1, 0);
            using var projected = _dense.forward(first);
            return projected.tanh();
        }
    }
}
