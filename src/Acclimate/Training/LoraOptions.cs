using Acclimate.Models.Lora;

namespace Acclimate.Training;

/// <summary>Where a LoRA run's final model goes (<c>lora.save</c>).</summary>
public enum LoraSaveMode
{
    /// <summary>Plain HF weights with every adapter folded in (same keys and shapes as the base).</summary>
    Merged,
    /// <summary>Only the PEFT adapter (adapter_config.json + adapter_model.safetensors).</summary>
    Adapter,
    /// <summary>The merged weights, and the adapter in an <c>adapter/</c> subfolder.</summary>
    Both,
}

/// <summary>
/// The <c>lora:</c> section of a <c>pretrain</c> or <c>finetune</c> recipe (LoRA, Hu et al. 2021):
/// off while <see cref="Rank"/> is 0. The adapted layers compute W x + (α/r)·B A dropout(x) with B zero
/// at the start; everything else is frozen except what <see cref="TrainBiases"/>,
/// <see cref="TrainLayerNorm"/> and the head keys keep trainable.
/// </summary>
public sealed record LoraOptions : IValidatedOptions
{
    /// <summary>r, the adapters' rank; 0 turns LoRA off. At most min(in, out) of every target layer.</summary>
    public int Rank { get; init; }
    /// <summary>α: the update is scaled by α / r (PEFT's lora_alpha). Default 16.</summary>
    public double Alpha { get; init; } = 16;
    /// <summary>Dropout on the adapters' input (PEFT's lora_dropout). Default 0.1.</summary>
    public double Dropout { get; init; } = 0.1;
    /// <summary>The layers to adapt: query, key, value, attention_output, intermediate, output (default query and value, as Hu et al.).</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = new[] { "query", "value" };
    /// <summary>Which biases train: none, all or lora_only (those of the adapted layers).</summary>
    public LoraBias TrainBiases { get; init; } = LoraBias.None;
    /// <summary>Whether the encoder's LayerNorm parameters train.</summary>
    public bool TrainLayerNorm { get; init; }
    /// <summary>
    /// Pretraining only: whether the MLM head's own parameters (transform dense, its LayerNorm, the
    /// output bias) train. Default false: only the adapters (and what the keys above add) move, so a
    /// LoRA DAPT run changes the encoder through B·A alone. The decoder weight is tied to the frozen
    /// word embeddings either way. Fine-tuning heads always train.
    /// </summary>
    public bool TrainMlmHead { get; init; }
    /// <summary>What the run's final model folder holds: merged (default), adapter, or both.</summary>
    public LoraSaveMode Save { get; init; } = LoraSaveMode.Merged;

    /// <summary>Whether LoRA is on.</summary>
    public bool Enabled => Rank != 0;

    /// <summary>The library's spec for these options; <paramref name="trainHead"/> says whether parameters outside the encoder train.</summary>
    public LoraSpec ToSpec(bool trainHead) => new(Rank, Alpha, Dropout, TargetModules)
    {
        TrainBiases = TrainBiases,
        TrainLayerNorm = TrainLayerNorm,
        TrainHead = trainHead,
    };

    /// <inheritdoc />
    public IEnumerable<string> Problems() => Enabled ? LoraModel.Problems(ToSpec(true)) : Rank < 0 ? new[] { $"rank must be >= 1 (0 turns LoRA off; got {Rank})" } : Array.Empty<string>();
}
