using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// An encoder with a task head: what HF folders load into and save from. The encoder is registered
/// under the architecture's name (<c>bert</c>, <c>roberta</c>, <c>albert</c>, <c>electra</c>), so
/// state-dict keys equal HF's. Build one with <see cref="ModelFactory.Create"/> or load one with
/// <c>Checkpoints.PretrainedModel.Load</c>.
/// </summary>
public abstract class TransformerModel : ExplicitModule
{
    /// <summary>Builds the encoder and registers it under the family's name.</summary>
    /// <param name="config">The model's config.</param>
    /// <param name="task">The head this subclass adds.</param>
    /// <param name="addPoolingLayer">Whether the encoder gets a pooler.</param>
    protected TransformerModel(EncoderConfig config, ModelTask task, bool addPoolingLayer) : base(Architectures.Name(config.ModelType, task))
    {
        Config = config;
        Task = task;
        Encoder = new EncoderModel(config, addPoolingLayer);
        register_module(BackboneName, Encoder);
    }

    /// <summary>The config (replaced, never changed, when the vocabulary is resized).</summary>
    public EncoderConfig Config { get; private set; }
    /// <summary>Which head sits on the encoder.</summary>
    public ModelTask Task { get; }
    /// <summary>The shared encoder (registered under <see cref="BackboneName"/>).</summary>
    public EncoderModel Encoder { get; }

    /// <summary>HF's base-model attribute name, the prefix of the encoder's keys.</summary>
    public string BackboneName => Config.Family.ModelTypeName;

    /// <summary>HF's class name, written into config.json's <c>architectures</c>.</summary>
    public string ArchitectureName => Architectures.Name(Config.ModelType, Task);

    /// <summary>
    /// Whether checkpoint keys carry the backbone prefix. HF's bare models (BertModel …) save their
    /// keys without it; every head model saves with it.
    /// </summary>
    public bool CheckpointKeysHavePrefix => Task != ModelTask.Base;

    /// <summary>
    /// Checkpoint keys that HF ties to another key (alias → canonical), e.g. the MLM decoder weight
    /// to the word embeddings. Loading ignores the alias's stored value, as HF's tie_weights does.
    /// </summary>
    public virtual IReadOnlyDictionary<string, string> TiedAliases { get; } = new Dictionary<string, string>();

    /// <summary>Tied aliases that HF of the fixtures' era also writes on save (RoBERTa's are skipped, as HF skips them).</summary>
    public virtual bool WritesTiedAliases => true;

    /// <summary>Runs the model; returns the loss too when <paramref name="inputs"/> has labels.</summary>
    public abstract ModelOutputs Forward(ModelInputs inputs);

    /// <summary>The model's parameters and buffers under their checkpoint (HF) key names.</summary>
    public IReadOnlyDictionary<string, Tensor> CheckpointState()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in state_dict())
        {
            // A LoRA adapter's A and B are not part of the HF checkpoint: they are saved as a PEFT
            // adapter or merged into the weights they adapt (Models/Lora).
            if (Lora.LoraModel.IsAdapterKey(name)) continue;
            result[CheckpointKeyOf(name)] = tensor;
        }
        return result;
    }

    /// <summary>The checkpoint (HF) key of a state-dict name: without the backbone prefix for a bare encoder.</summary>
    internal string CheckpointKeyOf(string stateName)
    {
        var prefix = BackboneName + ".";
        return !CheckpointKeysHavePrefix && stateName.StartsWith(prefix, StringComparison.Ordinal) ? stateName[prefix.Length..] : stateName;
    }

    /// <summary>
    /// HF's <c>_init_weights</c>: Linear and Embedding weights ~ N(0, initializer_range), biases 0,
    /// embedding padding rows 0, LayerNorm weight 1 and bias 0. Applied to the modules under
    /// <paramref name="onlyUnder"/> (checkpoint-key prefixes) or to everything when null.
    /// </summary>
    public void InitializeWeights(IReadOnlyCollection<string>? onlyUnder = null)
    {
        var std = Config.InitializerRange;
        using var _ = no_grad();
        foreach (var (name, module) in named_modules())
        {
            var key = !CheckpointKeysHavePrefix && name.StartsWith(BackboneName + ".", StringComparison.Ordinal) ? name[(BackboneName.Length + 1)..] : name;
            if (onlyUnder is not null && !onlyUnder.Any(p => key == p || key.StartsWith(p + ".", StringComparison.Ordinal))) continue;
            // Always through the module's registered Parameter objects: TorchSharp's Embedding.weight
            // getter wraps the native tensor in a new object on every call, and such a temporary can be
            // finalized (its native handle freed) by the GC while normal_ is still writing through it.
            // No implicit Scalar either (fill_(1.0) would make one that nothing keeps alive).
            foreach (var (pname, p) in module.named_parameters(recurse: false))
            {
                if (pname == "bias") p.zero_();
                else if (module is LayerNorm) nn.init.ones_(p);
                else p.normal_(0, std);
            }
        }
        Encoder.Embeddings.ZeroPaddingRows();
    }

    /// <summary>
    /// Grows (or shrinks) the vocabulary to <paramref name="newSize"/> ids, as HF's
    /// resize_token_embeddings: old rows are kept, new word-embedding rows are
    /// <paramref name="newRows"/> ([newSize − old, width], e.g. the mean of each new word's old
    /// pieces) or N(0, initializer_range), and the MLM head's bias and any untied decoder grow with
    /// it. Tied decoders follow the embedding automatically. config vocab_size is updated.
    /// </summary>
    public void ResizeTokenEmbeddings(int newSize, Tensor? newRows = null)
    {
        if (newSize <= 0) throw new ArgumentOutOfRangeException(nameof(newSize), newSize, "the vocabulary must keep at least one id");
        var old = Encoder.Embeddings.WordEmbeddingWeight;
        var added = newSize - (int)old.shape[0];
        using var _ = no_grad();
        using var init = added > 0 && newRows is null ? normal(0, Config.InitializerRange, new long[] { added, old.shape[1] }).to(old.dtype, old.device) : null;
        var rows = newRows ?? init;
        if (rows is not null && added > 0 && (rows.shape[0] != added || rows.shape[1] != old.shape[1]))
            throw new ArgumentException($"new rows must be [{added}, {old.shape[1]}], got [{string.Join(", ", rows.shape)}]", nameof(newRows));
        using var grown = Heads.VocabularyProjection.Grow(old, newSize, rows);
        Encoder.Embeddings.ReplaceWordEmbeddings(grown);
        // Configs are immutable: the model and its encoder move to a copy with the new size.
        Config = Config.WithVocabSize(newSize);
        Encoder.Config = Config;
        ResizeHeads(newSize, added > 0 ? rows : null);
    }

    /// <summary>Heads with vocabulary-sized tensors override this to follow <see cref="ResizeTokenEmbeddings"/>.</summary>
    protected virtual void ResizeHeads(int newSize, Tensor? newRows) { }

    /// <summary>HF's MLM loss: cross-entropy over the vocabulary, ignoring label -100.</summary>
    protected static Tensor MaskedLmLoss(Tensor logits, Tensor labels)
    {
        using var flat = logits.reshape(-1, logits.shape[^1]);
        using var flatLabels = labels.reshape(-1);
        return nn.functional.cross_entropy(flat, flatLabels, ignore_index: -100);
    }
}
