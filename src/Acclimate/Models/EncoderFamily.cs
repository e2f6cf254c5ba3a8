using System.Text.Json.Nodes;
using Acclimate.Models.Albert;
using Acclimate.Models.Bert;
using Acclimate.Models.Electra;
using Acclimate.Models.Roberta;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// What one architecture family (BERT, RoBERTa, ALBERT, ELECTRA) does differently from the shared
/// BERT-style encoder, in one place: its config.json defaults, its embeddings' position numbering, its
/// layer stack and pooler, its pretraining heads and its HF class names. The shared model classes
/// (<see cref="EncoderConfig"/>, <see cref="EncoderEmbeddings"/>, <see cref="EncoderModel"/>,
/// <see cref="MaskedLmModel"/>, <see cref="SequenceClassificationModel"/>) ask their config's family
/// instead of switching on the model type. Each family lives in its folder under Models/ with its
/// modules; adding one (DistilBERT, say) is a new folder with a subclass, its <see cref="ModelType"/>
/// member and one entry in <see cref="All"/>.
/// </summary>
public abstract class EncoderFamily
{
    /// <summary>The families Acclimate implements.</summary>
    public static IReadOnlyList<EncoderFamily> All { get; } =
        new EncoderFamily[] { new BertFamily(), new RobertaFamily(), new AlbertFamily(), new ElectraFamily() };

    /// <summary>The family of <paramref name="type"/>.</summary>
    public static EncoderFamily For(ModelType type) =>
        All.FirstOrDefault(f => f.Type == type) ?? throw new ArgumentOutOfRangeException(nameof(type), type, "no encoder family implements this model type");

    /// <summary>The family whose config.json <c>model_type</c> is <paramref name="modelType"/>, or null.</summary>
    public static EncoderFamily? Named(string modelType) => All.FirstOrDefault(f => f.ModelTypeName == modelType);

    /// <summary>The architecture this family implements.</summary>
    public abstract ModelType Type { get; }

    /// <summary>config.json's <c>model_type</c>; also HF's attribute name for the encoder inside task models, the prefix of their keys.</summary>
    public string ModelTypeName => Type.ToString().ToLowerInvariant();

    /// <summary>HF's class-name prefix (<c>Bert</c> in <c>BertForMaskedLM</c>).</summary>
    public abstract string ClassPrefix { get; }

    // ---- config.json: HF's defaults for the fields Acclimate does not require ----------------

    /// <summary>HF's default <c>hidden_act</c>.</summary>
    public virtual string DefaultHiddenAct => "gelu";
    /// <summary>HF's default hidden and attention dropout.</summary>
    public virtual double DefaultDropout => 0.1;
    /// <summary>HF's default <c>pad_token_id</c>.</summary>
    public virtual int DefaultPadTokenId => 0;

    /// <summary>Whether <c>embedding_size</c> sets an embedding width apart from <c>hidden_size</c> (default 128, as HF).</summary>
    public virtual bool HasEmbeddingSize => false;

    /// <summary>The config key of the classifier dropout, and its default when absent (null: hidden_dropout_prob).</summary>
    public virtual string ClassifierDropoutKey => "classifier_dropout";
    /// <summary>The classifier dropout when the config has no value (null: hidden_dropout_prob).</summary>
    public virtual double? DefaultClassifierDropout => null;

    /// <summary>Fields a config built in code gets besides its sizes (RoBERTa's special-token ids, say).</summary>
    internal virtual void AddCodeConfigDefaults(JsonObject config) { }

    // ---- the encoder ------------------------------------------------------------------------

    /// <summary>RoBERTa numbers positions from <c>pad_token_id + 1</c> and gives padding the padding position.</summary>
    public virtual bool PositionsFollowPadding => false;

    /// <summary>The longest sequence the position table allows (RoBERTa spends pad_token_id + 1 rows on its offset).</summary>
    public int MaxSequenceLength(EncoderConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return PositionsFollowPadding ? config.MaxPositionEmbeddings - config.PadTokenId - 1 : config.MaxPositionEmbeddings;
    }

    /// <summary>A projection from embedding width to hidden width between embeddings and stack (ELECTRA's <c>embeddings_project</c>), or null.</summary>
    internal virtual Linear? CreateEmbeddingProjection(EncoderConfig config) => null;

    /// <summary>The layer stack, registered as the encoder's <c>encoder</c> module.</summary>
    internal virtual ITransformerStack CreateStack(EncoderConfig config) => new BertEncoder(config);

    /// <summary>The pooler a task model asks for, or null when the family has none (ELECTRA).</summary>
    internal virtual IPooler? CreatePooler(EncoderConfig config) => new BertPooler(config);

    // ---- LoRA ------------------------------------------------------------------------------

    /// <summary>
    /// The Linear layers LoRA can adapt, by the family-neutral names a recipe uses (<c>query</c>,
    /// <c>key</c>, <c>value</c>, <c>attention_output</c>, <c>intermediate</c>, <c>output</c>), each as a
    /// regular expression over the module path inside the model (matched at the end of the path, after
    /// a dot or at its start). BERT-style stacks (BERT, RoBERTa, ELECTRA) share these; ALBERT overrides them.
    /// </summary>
    internal virtual IReadOnlyDictionary<string, string> LoraTargetPatterns { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["query"] = @"encoder\.layer\.\d+\.attention\.self\.query",
        ["key"] = @"encoder\.layer\.\d+\.attention\.self\.key",
        ["value"] = @"encoder\.layer\.\d+\.attention\.self\.value",
        ["attention_output"] = @"encoder\.layer\.\d+\.attention\.output\.dense",
        ["intermediate"] = @"encoder\.layer\.\d+\.intermediate\.dense",
        ["output"] = @"encoder\.layer\.\d+\.output\.dense",
    };

    // ---- heads ------------------------------------------------------------------------------

    /// <summary>Whether a sequence classifier reads the pooler (BERT, ALBERT) rather than a two-layer head on the first token.</summary>
    public virtual bool ClassifiesFromPooler => true;

    /// <summary>The activation between the first-token classifier's two layers: GELU (ELECTRA) or tanh (RoBERTa).</summary>
    public virtual bool FirstTokenHeadUsesGelu => false;

    /// <summary>The sentence-level objective of the family's pretraining head (<c>NSP</c>, <c>SOP</c>), or null.</summary>
    public virtual string? SentenceObjective => null;

    /// <summary>Whether the family has a <c>…ForPreTraining</c> model (RoBERTa has none).</summary>
    public virtual bool HasPreTrainingModel => true;

    /// <summary>Whether a masked-LM checkpoint also writes its tied decoder keys (HF's RobertaForMaskedLM ignores them on save).</summary>
    public virtual bool WritesMaskedLmTiedAliases => true;

    /// <summary>
    /// Builds the masked-LM head (and with <paramref name="withSentenceHead"/> the sentence head) on
    /// <paramref name="encoder"/>, registering each module through <paramref name="register"/> under HF's name.
    /// </summary>
    internal abstract MaskedLmHeads CreateMaskedLmHeads(EncoderConfig config, EncoderModel encoder, bool withSentenceHead, Action<string, nn.Module> register);

    /// <summary>The family's <c>…ForPreTraining</c> model.</summary>
    internal virtual TransformerModel CreatePreTrainingModel(EncoderConfig config) => new MaskedLmModel(config, withSentenceHead: true);

    /// <summary>The word-embedding key of a task model, which MLM decoders tie to.</summary>
    protected string WordEmbeddingKey => $"{ModelTypeName}.embeddings.word_embeddings.weight";

    /// <summary>HF's tied decoder aliases of a head named <paramref name="head"/> (decoder weight → word embeddings when tied; decoder bias → head bias).</summary>
    protected Dictionary<string, string> DecoderAliases(string head, bool tied)
    {
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        if (tied) aliases[$"{head}.decoder.weight"] = WordEmbeddingKey;
        aliases[$"{head}.decoder.bias"] = $"{head}.bias";
        return aliases;
    }

    /// <summary>config.json's <c>model_type</c>.</summary>
    public override string ToString() => ModelTypeName;
}

/// <summary>A family's masked-LM heads as <see cref="MaskedLmModel"/> uses them.</summary>
/// <param name="PredictTokens">Hidden states → vocabulary logits.</param>
/// <param name="ResizeVocabulary">Grows the decoder to a new vocabulary size (new rows, or null for HF's init).</param>
/// <param name="PredictSentence">Hidden states → sentence-objective logits, or null without a sentence head.</param>
/// <param name="SentenceOutputName">The output name of those logits (<c>seq_relationship_logits</c>, <c>sop_logits</c>).</param>
/// <param name="TiedAliases">Checkpoint keys HF ties to another key (alias → canonical).</param>
internal sealed record MaskedLmHeads(
    Func<Tensor, Tensor> PredictTokens,
    Action<int, Tensor?> ResizeVocabulary,
    Func<Tensor, Tensor>? PredictSentence,
    string? SentenceOutputName,
    IReadOnlyDictionary<string, string> TiedAliases);
