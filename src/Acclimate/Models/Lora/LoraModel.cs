using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Acclimate.Errors;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models.Lora;

/// <summary>Which biases a LoRA run trains besides the adapters (PEFT's <c>bias</c>).</summary>
public enum LoraBias
{
    /// <summary>No bias trains.</summary>
    None,
    /// <summary>Every bias of the encoder trains (LayerNorm biases included).</summary>
    All,
    /// <summary>Only the biases of the adapted Linear layers train.</summary>
    LoraOnly,
}

/// <summary>
/// What LoRA adapts and what else trains: the rank r, α (the update is scaled by α / r), the
/// dropout on the adapter's input, the target modules by family-neutral name (<see cref="LoraModel.TargetNames"/>),
/// which biases train, whether LayerNorm trains, and whether the parameters outside the encoder
/// (the task or MLM head) train.
/// </summary>
/// <param name="Rank">r, the adapter's inner width (1 … min(in, out) of every target).</param>
/// <param name="Alpha">α; the update B·A is scaled by α / r.</param>
/// <param name="Dropout">Dropout on the adapter's input (0 ≤ p &lt; 1).</param>
/// <param name="TargetModules">Names from <see cref="LoraModel.TargetNames"/>.</param>
public sealed record LoraSpec(int Rank, double Alpha, double Dropout, IReadOnlyList<string> TargetModules)
{
    /// <summary>Which biases train.</summary>
    public LoraBias TrainBiases { get; init; } = LoraBias.None;
    /// <summary>Whether the encoder's LayerNorm weights and biases train.</summary>
    public bool TrainLayerNorm { get; init; }
    /// <summary>Whether every parameter outside the encoder (classifier, CRF, MLM head) trains.</summary>
    public bool TrainHead { get; init; } = true;
}

/// <summary>
/// A model with LoRA adapters (Hu et al. 2021) on its encoder's Linear layers: each adapted layer
/// computes <c>W x + b + (α/r)·B A dropout(x)</c> with A [r, in] Kaiming-uniform and B [out, r] zero,
/// so the model is unchanged until B moves. <see cref="Apply"/> registers A and B on the layer (state-dict
/// keys <c>&lt;module&gt;.lora_A.weight</c> / <c>lora_B.weight</c>, PEFT's names) and freezes every other
/// parameter except those the spec keeps trainable; frozen parameters get no gradient, so an optimizer
/// built afterwards over trainable parameters holds no state for them.
/// </summary>
public sealed class LoraModel
{
    /// <summary>The target names a recipe may list, mapped per architecture by its <see cref="EncoderFamily"/>.</summary>
    public static IReadOnlyList<string> TargetNames { get; } = new[] { "query", "key", "value", "attention_output", "intermediate", "output" };

    /// <summary>The key in adapter_config.json under which the base fingerprint is stored.</summary>
    public const string FingerprintKey = "acclimate_base_fingerprint";

    private readonly List<LoraTarget> _targets;

    private LoraModel(TransformerModel model, LoraSpec spec, List<LoraTarget> targets)
    {
        Model = model;
        Spec = spec;
        _targets = targets;
    }

    /// <summary>The adapted model.</summary>
    public TransformerModel Model { get; }
    /// <summary>The spec it was adapted with.</summary>
    public LoraSpec Spec { get; }
    /// <summary>α / r.</summary>
    public double Scale => Spec.Alpha / Spec.Rank;
    /// <summary>The adapted layers, sorted by checkpoint module path.</summary>
    internal IReadOnlyList<LoraTarget> Targets => _targets;

    /// <summary>The checkpoint module paths of the adapted layers (e.g. <c>bert.encoder.layer.0.attention.self.query</c>), sorted.</summary>
    public IReadOnlyList<string> TargetKeys => _targets.Select(t => t.Key).ToArray();

    /// <summary>True for the state-dict name of a LoRA A or B tensor.</summary>
    public static bool IsAdapterKey(string name) =>
        name.EndsWith(".lora_A.weight", StringComparison.Ordinal) || name.EndsWith(".lora_B.weight", StringComparison.Ordinal);

    /// <summary>Checks <paramref name="spec"/>'s plain values (rank, α, dropout, names); problems name the recipe key.</summary>
    public static IEnumerable<string> Problems(LoraSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Rank <= 0) yield return $"rank must be >= 1 (got {spec.Rank})";
        if (!(spec.Alpha > 0) || double.IsInfinity(spec.Alpha)) yield return $"alpha must be a finite number > 0 (got {spec.Alpha})";
        if (!(spec.Dropout >= 0 && spec.Dropout < 1)) yield return $"dropout must be in [0, 1) (got {spec.Dropout})";
        if (spec.TargetModules is null || spec.TargetModules.Count == 0) yield return $"target_modules must name at least one of {string.Join(", ", TargetNames)}";
        else
            foreach (var name in spec.TargetModules.Where(n => !TargetNames.Contains(n)))
                yield return $"target_modules: '{name}' is not a LoRA target; expected some of {string.Join(", ", TargetNames)}";
    }

    /// <summary>
    /// Adds adapters to <paramref name="model"/>'s target layers and sets which parameters train.
    /// Fails (nothing changed) when the spec is invalid, a target name matches no layer of this
    /// architecture, the rank exceeds a target's min(in, out), or the model already has adapters.
    /// </summary>
    public static LoraModel Apply(TransformerModel model, LoraSpec spec)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        var problems = Problems(spec).ToList();
        if (problems.Count > 0) throw new ConfigException("lora: " + string.Join("; ", problems) + ".");
        if (model.named_parameters().Any(p => IsAdapterKey(p.name)))
            throw new ConfigException("lora: the model already carries LoRA adapters; apply LoRA once.");

        var family = model.Config.Family;
        var modules = model.named_modules().Where(m => m.module is Linear).Select(m => (m.name, Layer: (Linear)m.module)).ToList();
        var chosen = new List<(string StateName, Linear Layer)>();
        foreach (var name in spec.TargetModules.Distinct(StringComparer.Ordinal))
        {
            if (!family.LoraTargetPatterns.TryGetValue(name, out var pattern))
                throw new ConfigException($"lora.target_modules: '{name}' does not exist on {family.ModelTypeName} (its targets: {string.Join(", ", family.LoraTargetPatterns.Keys)}).");
            var regex = new Regex("(^|\\.)" + pattern + "$", RegexOptions.CultureInvariant);
            var matched = modules.Where(m => regex.IsMatch(m.name)).ToList();
            if (matched.Count == 0)
                throw new ConfigException($"lora.target_modules: '{name}' matches no Linear layer of this {model.ArchitectureName} (looked for modules matching {pattern}).");
            chosen.AddRange(matched);
        }
        foreach (var (stateName, layer) in chosen)
        {
            var shape = layer.weight!.shape;
            var limit = Math.Min(shape[0], shape[1]);
            if (spec.Rank > limit)
                throw new ConfigException($"lora.rank {spec.Rank} exceeds min(in, out) = {limit} of '{model.CheckpointKeyOf(stateName)}' (weight [{shape[0]}, {shape[1]}]); a rank at most {limit} is needed.");
        }

        var targets = new List<LoraTarget>();
        foreach (var (stateName, layer) in chosen)
        {
            var weight = layer.weight!;
            var up = new LoraUp(weight.shape[0], spec.Rank, weight.dtype, weight.device);
            var down = new LoraDown(weight.shape[1], spec.Rank, spec.Alpha / spec.Rank, spec.Dropout, up, weight.dtype, weight.device);
            layer.register_module("lora_A", down);
            layer.register_module("lora_B", up);
            if (!layer.training) { down.eval(); up.eval(); }
            targets.Add(new LoraTarget(model.CheckpointKeyOf(stateName), stateName, layer, down));
        }
        targets.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var lora = new LoraModel(model, spec, targets);
        lora.SetTrainable();
        return lora;
    }

    private void SetTrainable()
    {
        var backbone = Model.BackboneName + ".";
        var targetBiases = _targets.Select(t => t.StateName + ".bias").ToHashSet(StringComparer.Ordinal);
        // A tensor registered under two names (an MLM decoder tied to the word embeddings) trains
        // only if every name says so: frozen wins, so a trained head never unfreezes the embeddings.
        var decisions = new Dictionary<IntPtr, (Parameter Parameter, bool Train)>();
        foreach (var (name, parameter) in Model.named_parameters())
        {
            bool train;
            if (IsAdapterKey(name)) train = true;
            else if (!name.StartsWith(backbone, StringComparison.Ordinal)) train = Spec.TrainHead;
            else if (IsLayerNorm(name) && Spec.TrainLayerNorm) train = true;
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
                train = Spec.TrainBiases == LoraBias.All || (Spec.TrainBiases == LoraBias.LoraOnly && targetBiases.Contains(name));
            else train = false;
            decisions[parameter.Handle] = decisions.TryGetValue(parameter.Handle, out var earlier) ? (parameter, earlier.Train && train) : (parameter, train);
        }
        foreach (var (parameter, train) in decisions.Values) parameter.requires_grad_(train);
    }

    // The module holding the parameter is a LayerNorm (LayerNorm, layer_norm, full_layer_layer_norm).
    private static bool IsLayerNorm(string name)
    {
        var segments = name.Split('.');
        return segments.Length >= 2 && segments[^2].Replace("_", "", StringComparison.Ordinal).Contains("layernorm", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The trainable tensors other than A and B (biases, LayerNorm, head) under their checkpoint keys,
    /// sorted; a tensor registered under two names (a tied one) appears once.
    /// </summary>
    public IReadOnlyList<(string Key, Parameter Parameter)> OtherTrainable()
    {
        var seen = new HashSet<IntPtr>();
        return Model.named_parameters()
            .Where(p => p.parameter.requires_grad && !IsAdapterKey(p.name) && seen.Add(p.parameter.Handle))
            .Select(p => (Model.CheckpointKeyOf(p.name), p.parameter))
            .OrderBy(p => p.Item1, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Trainable and total parameter counts (each tensor once).</summary>
    public (long Trainable, long Total) ParameterCounts()
    {
        var seen = new HashSet<IntPtr>();
        long trainable = 0, total = 0;
        foreach (var p in Model.parameters())
        {
            if (!seen.Add(p.Handle)) continue;
            total += p.numel();
            if (p.requires_grad) trainable += p.numel();
        }
        return (trainable, total);
    }

    /// <summary>SHA-256 (hex) of the base weights the adapters sit on (see <see cref="Fingerprint"/>).</summary>
    public string BaseFingerprint() => Fingerprint(_targets.Select(t => (t.Key, (Tensor)t.Layer.weight!)));

    /// <summary>
    /// The base fingerprint: SHA-256 over, in the order given (the adapter's sorted module paths),
    /// each weight's shape (int64 little-endian) and its values as float32 little-endian bytes. Keys
    /// are not hashed, so a bare-encoder folder and a head model's keys (with the <c>bert.</c> prefix)
    /// fingerprint alike.
    /// </summary>
    public static string Fingerprint(IEnumerable<(string Key, Tensor Weight)> weights)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> dim = stackalloc byte[8];
        foreach (var (_, weight) in weights)
        {
            foreach (var d in weight.shape) { BinaryPrimitives.WriteInt64LittleEndian(dim, d); hash.AppendData(dim); }
            using var values = weight.detach().to(ScalarType.Float32, CPU).contiguous();
            var floats = values.data<float>().ToArray();
            var bytes = new byte[floats.Length * 4];
            for (var i = 0; i < floats.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), floats[i]);
            hash.AppendData(bytes);
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>
    /// Replaces every adapted weight W by W + (α/r)·B A until the returned scope is disposed, which
    /// puts the original W back bit for bit (from a copy, not by subtracting). Save a merged HF folder
    /// inside it.
    /// </summary>
    public IDisposable MergedScope()
    {
        var saved = new List<(Parameter Weight, Tensor Original)>();
        using (no_grad())
        {
            foreach (var target in _targets)
            {
                var weight = target.Layer.weight!;
                var original = weight.detach().clone().DetachFromDisposeScope();
                using var merged = MergedWeight(target);
                weight.copy_(merged);
                saved.Add((weight, original));
            }
        }
        return new Restore(saved);
    }

    /// <summary>W + (α/r)·B A for <paramref name="target"/> (a new tensor).</summary>
    internal Tensor MergedWeight(LoraTarget target)
    {
        using var _ = no_grad();
        using var delta = LoraLinear.Delta(target.Down.Up.Weight, target.Down.Weight, target.Down.Scale);
        return target.Layer.weight!.detach().add(delta);
    }

    private sealed class Restore(List<(Parameter Weight, Tensor Original)> saved) : IDisposable
    {
        public void Dispose()
        {
            using var _ = no_grad();
            foreach (var (weight, original) in saved)
            {
                weight.copy_(original);
                original.Dispose();
            }
            saved.Clear();
        }
    }
}

/// <summary>One adapted Linear layer.</summary>
/// <param name="Key">Its checkpoint module path (HF's module name).</param>
/// <param name="StateName">Its state-dict module path in the live model.</param>
/// <param name="Layer">The layer.</param>
/// <param name="Down">Its adapter (A, with B as <see cref="LoraDown.Up"/>).</param>
internal sealed record LoraTarget(string Key, string StateName, Linear Layer, LoraDown Down)
{
    /// <summary>A [rank, in].</summary>
    public Parameter A => Down.Weight;
    /// <summary>B [out, rank].</summary>
    public Parameter B => Down.Up.Weight;
}
