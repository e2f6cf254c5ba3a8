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
    protected TransformerModel(EncoderConfig config, ModelTask task, bool addPoolingLayer) : base(Architectures.Name(config.ModelType, task))
    {
        Config = config;
        Task = task;
        Encoder = new EncoderModel(config, addPoolingLayer);
        register_module(BackboneName, Encoder);
    }

    public EncoderConfig Config { get; private set; }
    public ModelTask Task { get; }
    public EncoderModel Encoder { get; }

    /// <summary>HF's base-model attribute name, the prefix of the encoder's keys.</summary>
    public string BackboneName => Config.ModelType.ToString().ToLowerInvariant();

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
        var prefix = BackboneName + ".";
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in state_dict())
        {
            var key = !CheckpointKeysHavePrefix && name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
            result[key] = tensor;
        }
        return result;
    }

    /// <summary>Replaces the label set in the config (when a classification head is created for a dataset).</summary>
    internal void SetConfig(EncoderConfig config) => Config = config;

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
            switch (module)
            {
                case Linear linear:
                    linear.weight!.normal_(0, std);
                    linear.bias?.zero_();
                    break;
                case Embedding embedding:
                    embedding.weight!.normal_(0, std);
                    break;
                case LayerNorm norm:
                    norm.weight!.fill_(1.0);
                    norm.bias!.zero_();
                    break;
            }
            // Parameters a head owns directly (MLM biases, an untied generator weight).
            foreach (var (pname, p) in module.named_parameters(recurse: false))
            {
                if (module is Linear or Embedding or LayerNorm) continue;
                if (pname == "bias") p.zero_();
                else p.normal_(0, std);
            }
        }
        Encoder.Embeddings.ZeroPaddingRows();
    }

    /// <summary>HF's MLM loss: cross-entropy over the vocabulary, ignoring label -100.</summary>
    protected static Tensor MaskedLmLoss(Tensor logits, Tensor labels)
    {
        using var flat = logits.reshape(-1, logits.shape[^1]);
        using var flatLabels = labels.reshape(-1);
        return nn.functional.cross_entropy(flat, flatLabels, ignore_index: -100);
    }
}
