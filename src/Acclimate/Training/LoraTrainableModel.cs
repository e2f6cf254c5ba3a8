using Acclimate.Checkpoints;
using Acclimate.IO;
using Acclimate.Models.Lora;
using static TorchSharp.torch;

namespace Acclimate.Training;

/// <summary>
/// A LoRA-adapted model as a training target, around the model's own <see cref="ITrainableModel"/>.
/// <see cref="Save"/> (checkpoints, the best model) writes what the inner target writes with every
/// adapter merged in (a plain HF / labeler folder that loads anywhere), and the PEFT adapter in its
/// <c>adapter/</c> subfolder. <see cref="Load"/> (resume) reads the inner folder for every tensor but
/// the adapted weights, keeps those at the base values already in memory (the base is never trained;
/// the merged values on disk cannot be un-merged exactly), and restores A, B and the other trained
/// tensors from the adapter, after checking the base fingerprint.
/// </summary>
public sealed class LoraTrainableModel : ITrainableModel
{
    /// <summary>The subfolder of a checkpoint (or a model folder saved with <c>both</c>) that holds the adapter.</summary>
    public const string AdapterFolderName = LoraAdapterFolder.CheckpointSubfolder;

    private readonly ITrainableModel _inner;
    private readonly string? _baseModelNameOrPath;

    /// <param name="inner">How the model saves and loads without LoRA.</param>
    /// <param name="lora">The adapted model (its <see cref="LoraModel.Model"/> is <paramref name="inner"/>'s).</param>
    /// <param name="baseModelNameOrPath">What the run started from, written into adapter_config.json.</param>
    public LoraTrainableModel(ITrainableModel inner, LoraModel lora, string? baseModelNameOrPath)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        Lora = lora ?? throw new ArgumentNullException(nameof(lora));
        _baseModelNameOrPath = baseModelNameOrPath;
    }

    /// <summary>The adapted model.</summary>
    public LoraModel Lora { get; }

    /// <inheritdoc />
    public nn.Module Module => _inner.Module;

    /// <inheritdoc />
    public void Save(string folder)
    {
        using (Lora.MergedScope()) _inner.Save(folder);
        LoraAdapterFolder.Save(Lora, Path.Combine(folder, AdapterFolderName), _baseModelNameOrPath);
    }

    /// <summary>Writes the run's final model as <paramref name="mode"/> asks into <paramref name="folder"/> (atomically).</summary>
    public void SaveFinal(string folder, LoraSaveMode mode) => AtomicFolder.Write(folder, temp =>
    {
        if (mode == LoraSaveMode.Adapter)
        {
            LoraAdapterFolder.Save(Lora, temp, _baseModelNameOrPath);
            return;
        }
        using (Lora.MergedScope()) _inner.Save(temp);
        if (mode == LoraSaveMode.Both) LoraAdapterFolder.Save(Lora, Path.Combine(temp, AdapterFolderName), _baseModelNameOrPath);
    });

    /// <inheritdoc />
    public void Load(string folder)
    {
        var adapter = Path.Combine(folder, AdapterFolderName);
        // Checked before anything changes: a folder without the adapter, or from another base, fails here.
        LoraAdapterFolder.Read(adapter);
        var originals = Lora.Targets.Select(t => (t.Layer.weight!, Original: t.Layer.weight!.detach().clone())).ToList();
        try
        {
            _inner.Load(folder);
        }
        finally
        {
            using var _ = no_grad();
            foreach (var (weight, original) in originals)
            {
                weight.copy_(original);
                original.Dispose();
            }
        }
        LoraAdapterFolder.LoadInto(Lora, adapter);
    }
}
