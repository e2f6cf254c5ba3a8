using System.Globalization;
using System.Text.Json;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Training;

/// <summary>
/// TorchSharp's <c>optim.AdamW</c> set up the way HF's Trainer sets it up: parameter groups chosen
/// by a caller function (encoder / head / CRF, or layer-wise rates), biases and LayerNorm weights
/// without weight decay, learning rates driven by a schedule multiplier, and its per-parameter state
/// (exp_avg, exp_avg_sq, step) saved to and restored from <c>optimizer.safetensors</c> by parameter
/// name, so a resumed run continues bit-for-bit.
/// </summary>
/// <remarks>
/// TorchSharp's AdamW (0.107.0) is implemented in C# over tensor ops and exposes its state through
/// <c>state_dict().State</c> (one <c>AdamW.State</c> per parameter, in group order, created eagerly
/// with zero moments); that is what this class reads and writes. Parameters that did not receive a
/// gradient in a step are skipped by AdamW (no moment update, no decay, no step count), as in
/// PyTorch with <c>zero_grad(set_to_none=True)</c>; <see cref="ZeroGrad"/> therefore sets gradients
/// to none rather than to zero.
/// </remarks>
public sealed class AdamWOptimizer : IDisposable
{
    /// <summary>The file name inside a checkpoint folder.</summary>
    public const string StateFileName = "optimizer.safetensors";

    private const string FormatTag = "acclimate-adamw-1";
    private readonly AdamW _adamW;
    private readonly List<(string Name, Parameter Parameter)> _parameters;
    private bool _disposed;
    private AdamW.State[]? _states;
    private Tensor? _scratch;

    private AdamWOptimizer(AdamW adamW, AdamWSettings settings, IReadOnlyList<OptimizerGroup> groups, List<(string, Parameter)> parameters)
    {
        _adamW = adamW;
        Settings = settings;
        Groups = groups;
        _parameters = parameters;
    }

    /// <summary>The shared hyperparameters.</summary>
    public AdamWSettings Settings { get; }

    /// <summary>The groups in optimizer order.</summary>
    public IReadOnlyList<OptimizerGroup> Groups { get; }

    /// <summary>Every trained parameter with its state-dict name, in optimizer order.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters => _parameters;

    /// <summary>The multiplier last applied by <see cref="SetLearningRateMultiplier"/> (1 initially).</summary>
    public double LearningRateMultiplier { get; private set; } = 1.0;

    /// <summary>The TorchSharp optimizer underneath, for callers that need it directly.</summary>
    public AdamW Inner => _adamW;

    /// <summary>
    /// AdamW over the trainable parameters of <paramref name="model"/> (frozen ones are left out).
    /// <paramref name="groupOf"/> maps a parameter's state-dict name to its group and learning rate;
    /// by default everything is one group <c>default</c> at <see cref="AdamWSettings.LearningRate"/>.
    /// Each group is split into a decaying part and a <c>/no_decay</c> part by
    /// <paramref name="isExemptFromDecay"/> (default: <see cref="WeightDecayRule.IsExempt"/>).
    /// </summary>
    public static AdamWOptimizer Create(nn.Module model, AdamWSettings settings,
        Func<string, ParameterGroupChoice>? groupOf = null, Func<string, bool>? isExemptFromDecay = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        return Create(model.named_parameters(), settings, groupOf, isExemptFromDecay);
    }

    /// <summary>As <see cref="Create(nn.Module, AdamWSettings, Func{string, ParameterGroupChoice}?, Func{string, bool}?)"/>, over explicitly named parameters.</summary>
    public static AdamWOptimizer Create(IEnumerable<(string Name, Parameter Parameter)> namedParameters, AdamWSettings settings,
        Func<string, ParameterGroupChoice>? groupOf = null, Func<string, bool>? isExemptFromDecay = null)
    {
        ArgumentNullException.ThrowIfNull(namedParameters);
        ArgumentNullException.ThrowIfNull(settings);
        if (!(settings.LearningRate > 0)) throw new ConfigException($"AdamW learning rate must be > 0 (got {settings.LearningRate}).");
        if (!(settings.WeightDecay >= 0)) throw new ConfigException($"AdamW weight decay must be >= 0 (got {settings.WeightDecay}).");
        groupOf ??= _ => new ParameterGroupChoice("default", settings.LearningRate);
        isExemptFromDecay ??= WeightDecayRule.IsExempt;

        // Group order is the order of first appearance, so the layout (and the saved state) is a
        // deterministic function of the model. A tensor registered under two names (tied weights)
        // is trained once, under its first name.
        var order = new List<string>();
        var members = new Dictionary<string, (double Rate, double Decay, List<(string, Parameter)> Items)>(StringComparer.Ordinal);
        var seen = new HashSet<IntPtr>();
        var all = new List<(string, Parameter)>();
        foreach (var (name, parameter) in namedParameters)
        {
            if (!parameter.requires_grad || !seen.Add(parameter.Handle)) continue;
            var choice = groupOf(name) ?? throw new ConfigException($"the parameter-group function returned no group for '{name}'.");
            if (string.IsNullOrWhiteSpace(choice.Group)) throw new ConfigException($"parameter '{name}' was put in a group with an empty name.");
            if (!(choice.LearningRate > 0)) throw new ConfigException($"parameter '{name}' was put in group '{choice.Group}' with learning rate {choice.LearningRate}; expected > 0.");
            var exempt = isExemptFromDecay(name);
            var groupName = exempt ? choice.Group + "/no_decay" : choice.Group;
            var decay = exempt ? 0.0 : settings.WeightDecay;
            if (members.TryGetValue(groupName, out var existing))
            {
                if (existing.Rate != choice.LearningRate)
                    throw new ConfigException($"group '{choice.Group}' was given two learning rates ({existing.Rate} and {choice.LearningRate}, the latter for '{name}'); one group has one rate.");
                existing.Items.Add((name, parameter));
            }
            else
            {
                members[groupName] = (choice.LearningRate, decay, new List<(string, Parameter)> { (name, parameter) });
                order.Add(groupName);
            }
            all.Add((name, parameter));
        }
        if (all.Count == 0) throw new ConfigException("the model has no trainable parameters (all frozen?); nothing to optimize.");

        var groups = new List<OptimizerGroup>();
        var torchGroups = new List<AdamW.ParamGroup>();
        var ordered = new List<(string, Parameter)>();
        foreach (var groupName in order)
        {
            var (rate, decay, items) = members[groupName];
            groups.Add(new OptimizerGroup(groupName, rate, decay, items.Select(i => i.Item1).ToArray()));
            // A materialized array: TorchSharp enumerates Parameters on every step.
            torchGroups.Add(new AdamW.ParamGroup(items.Select(i => i.Item2).ToArray(), rate, settings.Beta1, settings.Beta2, settings.Epsilon, decay));
            ordered.AddRange(items);
        }
        var adamW = new AdamW(torchGroups, settings.LearningRate, settings.Beta1, settings.Beta2, settings.Epsilon, settings.WeightDecay);
        return new AdamWOptimizer(adamW, settings, groups, ordered);
    }

    /// <summary>Sets every group's learning rate to its base rate × <paramref name="multiplier"/> (the schedule's value).</summary>
    public void SetLearningRateMultiplier(double multiplier)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!(multiplier >= 0) || double.IsInfinity(multiplier)) throw new ArgumentOutOfRangeException(nameof(multiplier), multiplier, "expected a finite value >= 0.");
        var torchGroups = _adamW.ParamGroups.ToList();
        for (var i = 0; i < Groups.Count; i++) torchGroups[i].LearningRate = Groups[i].BaseLearningRate * multiplier;
        LearningRateMultiplier = multiplier;
    }

    /// <summary>The learning rate each group uses now, by group name.</summary>
    public IReadOnlyDictionary<string, double> CurrentLearningRates()
    {
        var torchGroups = _adamW.ParamGroups.ToList();
        return Groups.Select((g, i) => (g.Name, torchGroups[i].LearningRate)).ToDictionary(x => x.Name, x => x.LearningRate, StringComparer.Ordinal);
    }

    /// <summary>Drops every gradient (sets it to none), so parameters unused in the next step are skipped by AdamW.</summary>
    public void ZeroGrad()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var (_, parameter) in _parameters)
        {
            var grad = parameter.grad;
            if (grad is null) continue;
            parameter.grad = null;
            grad.Dispose();
        }
    }

    /// <summary>
    /// Scales gradients so their global L2 norm is at most <paramref name="maxNorm"/> and returns the
    /// norm before clipping (PyTorch's <c>clip_grad_norm_</c>). Parameters without a gradient are ignored.
    /// </summary>
    public double ClipGradNorm(double maxNorm)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "expected > 0.");
        var withGrad = _parameters.Select(p => p.Parameter).Where(p => p.grad is not null).ToList();
        return withGrad.Count == 0 ? 0.0 : nn.utils.clip_grad_norm_(withGrad, maxNorm);
    }

    /// <summary>
    /// <see cref="ClipGradNorm"/> without reading anything back to the host: the same operations
    /// as libtorch's clip_grad_norm_ (per-gradient L2 norms, the norm of their stack, the factor
    /// max / (norm + 1e-6) clamped at 1 multiplied in place), so the gradients come out bit for bit
    /// the same, and the norm before clipping returned as a 0-dimensional tensor on the gradients'
    /// device (the caller owns it). On an asynchronous device the step then never waits for the host.
    /// </summary>
    public Tensor ClipGradNormOnDevice(double maxNorm)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "expected > 0.");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var grads = _parameters.Select(p => p.Parameter.grad).Where(g => g is not null).Select(g => g!).ToArray();
        if (grads.Length == 0) return zeros(Array.Empty<long>(), ScalarType.Float32).MoveToOuterDisposeScope();
        var norms = grads.Select(g => g.norm()).ToArray();   // L2
        var total = norms.Length == 1 ? norms[0] : stack(norms).norm();
        var factor = (maxNorm / (total + 1e-6)).clamp_max(1.0);
        foreach (var grad in grads) grad.mul_(factor);
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>The global L2 norm of the current gradients, without changing them.</summary>
    public double GradNorm()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var total = 0.0;
        foreach (var (_, parameter) in _parameters)
        {
            var grad = parameter.grad;
            if (grad is null) continue;
            var n = grad.norm().to_type(ScalarType.Float64).item<double>();
            total += n * n;
        }
        return Math.Sqrt(total);
    }

    /// <summary>One AdamW update with the current learning rates.</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var _ = no_grad();
        var states = _states ??= _adamW.state_dict().State.Cast<AdamW.State>().ToArray();
        var index = 0;
        foreach (var group in _adamW.ParamGroups.Cast<AdamW.ParamGroup>())
        {
            var options = group.Options;
            var settings = new AdamWStepSettings(options.LearningRate!.Value, options.beta1!.Value, options.beta2!.Value,
                options.eps!.Value, options.weight_decay!.Value);
            foreach (var parameter in group.Parameters)
            {
                var state = states[index++];
                using var grad = parameter.grad;
                if (grad is null) continue;
                state.step += 1;
                UpdateOne(parameter, grad, state, settings);
            }
        }
    }

    private readonly record struct AdamWStepSettings(double LearningRate, double Beta1, double Beta2, double Epsilon, double WeightDecay);

    /// <summary>
    /// One AdamW update of <paramref name="parameter"/>, the same operations in the same order as
    /// TorchSharp's <c>AdamW.step</c> (so the numbers are bit-for-bit equal, which a test checks),
    /// but without its per-parameter temporaries: the denominator is built in a scratch buffer
    /// sized to the largest parameter and reused, instead of two fresh tensors per parameter per
    /// step (for a 30k × 384 embedding that is 2 × 47 MB of new memory, page-faulted in, every
    /// update). Every Scalar is created and disposed here rather than left to the finalizer.
    /// </summary>
    private void UpdateOne(Parameter parameter, Tensor grad, AdamW.State state, AdamWStepSettings s)
    {
        if (s.WeightDecay != 0)
        {
            using var decay = (1 - s.LearningRate * s.WeightDecay).ToScalar();
            parameter.mul_(decay);
        }
        var biasCorrection1 = 1 - Math.Pow(s.Beta1, state.step);
        var biasCorrection2 = 1 - Math.Pow(s.Beta2, state.step);
        using (var beta1 = s.Beta1.ToScalar())
        using (var oneMinusBeta1 = (1 - s.Beta1).ToScalar())
            state.exp_avg.mul_(beta1).add_(grad, alpha: oneMinusBeta1);
        using (var beta2 = s.Beta2.ToScalar())
        using (var oneMinusBeta2 = (1 - s.Beta2).ToScalar())
            state.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value: oneMinusBeta2);

        using var denominator = Scratch(parameter);
        using (var root = Math.Sqrt(biasCorrection2).ToScalar())
        using (var epsilon = s.Epsilon.ToScalar())
            denominator.copy_(state.exp_avg_sq).sqrt_().div_(root).add_(epsilon);   // in-place ops return the same object: nothing new to dispose
        using var stepSize = (-(s.LearningRate / biasCorrection1)).ToScalar();
        parameter.addcdiv_(state.exp_avg, denominator, value: stepSize);
    }

    private static bool SameDevice(Tensor a, Tensor b) => a.device_type == b.device_type && a.device_index == b.device_index;

    /// <summary>A view of the shared scratch buffer shaped like <paramref name="parameter"/> (grown on first need).</summary>
    private Tensor Scratch(Parameter parameter)
    {
        var numel = parameter.numel();
        if (_scratch is null || _scratch.numel() < numel || _scratch.dtype != parameter.dtype || !SameDevice(_scratch, parameter))
        {
            var size = Math.Max(numel, _parameters.Where(p => p.Parameter.dtype == parameter.dtype && SameDevice(p.Parameter, parameter)).Max(p => p.Parameter.numel()));
            _scratch?.Dispose();
            // Owned by the optimizer, not by whatever dispose scope the caller's step runs in.
            _scratch = empty(size, dtype: parameter.dtype, device: parameter.device).DetachFromDisposeScope();
        }
        using var flat = _scratch.narrow(0, 0, numel);
        return flat.view(parameter.shape);
    }

    /// <summary>AdamW's per-parameter state, by parameter name (the live tensors; do not dispose).</summary>
    public IReadOnlyDictionary<string, (long Step, Tensor ExpAvg, Tensor ExpAvgSq)> State()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var states = _adamW.state_dict().State;
        if (states.Count != _parameters.Count)
            throw new InvalidOperationException($"TorchSharp's AdamW holds {states.Count} parameter states for {_parameters.Count} parameters.");
        var result = new Dictionary<string, (long, Tensor, Tensor)>(StringComparer.Ordinal);
        for (var i = 0; i < states.Count; i++)
        {
            var state = (AdamW.State)states[i];
            result[_parameters[i].Name] = (state.step, state.exp_avg, state.exp_avg_sq);
        }
        return result;
    }

    /// <summary>
    /// Writes the state to <paramref name="path"/> (atomically): per parameter <c>{name}.exp_avg</c>,
    /// <c>{name}.exp_avg_sq</c> (the parameter's dtype) and <c>{name}.step</c> (int64, shape [1]),
    /// plus metadata with the group layout and hyperparameters, checked on load.
    /// </summary>
    public void SaveState(string path)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        var steps = new List<Tensor>();
        try
        {
            foreach (var (name, (step, expAvg, expAvgSq)) in State())
            {
                var stepTensor = tensor(new[] { step });
                steps.Add(stepTensor);
                tensors.Add(new(name + ".exp_avg", expAvg));
                tensors.Add(new(name + ".exp_avg_sq", expAvgSq));
                tensors.Add(new(name + ".step", stepTensor));
            }
            SafetensorsWriter.Write(path, tensors, new Dictionary<string, string>
            {
                ["format"] = FormatTag,
                ["groups"] = JsonSerializer.Serialize(Groups.Select(g => new { name = g.Name, lr = g.BaseLearningRate, weight_decay = g.WeightDecay, parameters = g.ParameterNames })),
                ["betas"] = FormattableString.Invariant($"{Settings.Beta1:R},{Settings.Beta2:R}"),
                ["eps"] = Settings.Epsilon.ToString("R", CultureInfo.InvariantCulture),
            });
        }
        finally
        {
            foreach (var s in steps) s.Dispose();
        }
    }

    /// <summary>
    /// Restores the state written by <see cref="SaveState"/> into this optimizer, which must have
    /// the same parameters (names and shapes). Fails naming the file and tensor when they differ.
    /// </summary>
    public void LoadState(string path)
    {
        using var file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("format", out var format) || format != FormatTag)
            throw new CheckpointException($"{path}: not an Acclimate AdamW state file (metadata format '{format ?? "missing"}', expected '{FormatTag}').");
        var expected = new HashSet<string>(StringComparer.Ordinal);
        using var _ = no_grad();
        foreach (var (name, (_, expAvg, expAvgSq)) in State())
        {
            expected.Add(name + ".exp_avg");
            expected.Add(name + ".exp_avg_sq");
            expected.Add(name + ".step");
            CopyInto(file, path, name + ".exp_avg", expAvg);
            CopyInto(file, path, name + ".exp_avg_sq", expAvgSq);
        }
        var states = _adamW.state_dict().State;
        for (var i = 0; i < states.Count; i++)
        {
            var key = _parameters[i].Name + ".step";
            if (!file.Contains(key)) throw new CheckpointException($"{path}: tensor '{key}' is missing; the optimizer was saved for a different model.");
            using var step = file.ReadTensor(key, ScalarType.Int64);
            ((AdamW.State)states[i]).step = step.reshape(-1)[0].item<long>();
        }
        var extra = file.Tensors.Keys.Where(k => !expected.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
            throw new CheckpointException($"{path}: holds state for parameters this optimizer does not train ({string.Join(", ", extra.Take(5))}{(extra.Count > 5 ? ", …" : "")}); the optimizer was saved for a different model.");
    }

    private static void CopyInto(SafetensorsFile file, string path, string key, Tensor target)
    {
        if (!file.Contains(key)) throw new CheckpointException($"{path}: tensor '{key}' is missing; the optimizer was saved for a different model.");
        using var value = file.ReadTensor(key);
        if (!value.shape.SequenceEqual(target.shape))
            throw new CheckpointException($"{path}: tensor '{key}' has shape [{string.Join(", ", value.shape)}] but the parameter has [{string.Join(", ", target.shape)}].");
        using var converted = value.to(target.dtype, target.device);
        target.copy_(converted);
    }

    /// <summary>Disposes the optimizer state (moment estimates and scratch tensors).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _scratch?.Dispose();
        _adamW.Dispose();
    }
}
