using System.Globalization;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using static TorchSharp.torch;

namespace Acclimate.Continual;

/// <summary>
/// A diagonal Fisher estimate F and the parameters θ* it was estimated at, by parameter name —
/// everything EWC needs, reusable across runs. Stored as one safetensors file: <c>fisher.NAME</c>
/// and <c>theta.NAME</c> float32 tensors plus metadata (format, batch count, estimator).
/// Owns its tensors: dispose it.
/// </summary>
internal sealed class FisherInformation : IDisposable
{
    public const string FormatName = "acclimate-ewc-fisher";
    private const string FisherPrefix = "fisher.";
    private const string ThetaPrefix = "theta.";

    private readonly Dictionary<string, (Tensor Fisher, Tensor Theta)> _entries;

    /// <param name="entries">Per parameter name: F (≥ 0) and θ*, of the same shape.</param>
    /// <param name="batchCount">How many batches the estimate averaged.</param>
    public FisherInformation(IReadOnlyDictionary<string, (Tensor Fisher, Tensor Theta)> entries, int batchCount)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var (name, (fisher, theta)) in entries)
            if (!fisher.shape.SequenceEqual(theta.shape))
                throw new CheckpointException($"Fisher entry '{name}': F has shape [{string.Join(", ", fisher.shape)}] but θ* has [{string.Join(", ", theta.shape)}].");
        _entries = new Dictionary<string, (Tensor, Tensor)>(entries, StringComparer.Ordinal);
        BatchCount = batchCount;
    }

    public int BatchCount { get; }

    public IReadOnlyCollection<string> Names => _entries.Keys;

    /// <summary>The diagonal Fisher of one parameter.</summary>
    public Tensor Fisher(string name) => _entries[name].Fisher;

    /// <summary>The parameter value the Fisher was estimated at (EWC's anchor θ*).</summary>
    public Tensor Theta(string name) => _entries[name].Theta;

    /// <summary>Writes the file atomically.</summary>
    public void Save(string path)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, (fisher, theta)) in _entries)
        {
            tensors.Add(new(FisherPrefix + name, fisher));
            tensors.Add(new(ThetaPrefix + name, theta));
        }
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["version"] = "1",
            ["batches"] = BatchCount.ToString(CultureInfo.InvariantCulture),
            ["estimator"] = "empirical-fisher, mean over batches of the squared gradient of the batch-mean loss",
        });
    }

    /// <summary>Reads a file written by <see cref="Save"/>; errors name the file and the tensor.</summary>
    public static FisherInformation Load(string path)
    {
        using var file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("format", out var format) || format != FormatName)
            throw new CheckpointException($"{path}: not a Fisher file (metadata format is '{format ?? "absent"}', expected '{FormatName}').");
        if (!file.Metadata.TryGetValue("batches", out var batchText) ||
            !int.TryParse(batchText, NumberStyles.None, CultureInfo.InvariantCulture, out var batches))
            throw new CheckpointException($"{path}: metadata 'batches' is missing or not an integer.");
        var entries = new Dictionary<string, (Tensor, Tensor)>(StringComparer.Ordinal);
        try
        {
            foreach (var key in file.Tensors.Keys.OrderBy(k => k, StringComparer.Ordinal))
            {
                if (key.StartsWith(ThetaPrefix, StringComparison.Ordinal))
                {
                    if (!file.Contains(FisherPrefix + key[ThetaPrefix.Length..]))
                        throw new CheckpointException($"{path}: tensor '{key}' has no matching '{FisherPrefix}{key[ThetaPrefix.Length..]}'.");
                    continue;
                }
                if (!key.StartsWith(FisherPrefix, StringComparison.Ordinal))
                    throw new CheckpointException($"{path}: unexpected tensor '{key}' (expected names starting with '{FisherPrefix}' or '{ThetaPrefix}').");
                var name = key[FisherPrefix.Length..];
                if (!file.Contains(ThetaPrefix + name))
                    throw new CheckpointException($"{path}: tensor '{key}' has no matching '{ThetaPrefix}{name}'.");
                var fisher = file.ReadTensor(key);
                var theta = file.ReadTensor(ThetaPrefix + name);
                entries[name] = (fisher, theta);
                if (!fisher.shape.SequenceEqual(theta.shape))
                    throw new CheckpointException($"{path}: '{key}' has shape [{string.Join(", ", fisher.shape)}] but '{ThetaPrefix}{name}' has [{string.Join(", ", theta.shape)}].");
            }
            return new FisherInformation(entries, batches);
        }
        catch
        {
            foreach (var (f, t) in entries.Values) { f.Dispose(); t.Dispose(); }
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var (fisher, theta) in _entries.Values)
        {
            fisher.Dispose();
            theta.Dispose();
        }
    }
}
