using Acclimate.Errors;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Continual;

/// <summary>
/// Elastic weight consolidation (Kirkpatrick et al., 2017): (λ/2)·Σ F·(θ − θ*)² over the
/// parameters named in a <see cref="FisherInformation"/>. Every name in the Fisher must exist in
/// the model with the same shape (a mismatch means the Fisher belongs to another model). Does
/// not own the Fisher: dispose that separately.
/// </summary>
internal sealed class EwcPenalty : IDisposable
{
    private readonly (string Name, Parameter Parameter, Tensor Fisher, Tensor Theta)[] _entries;

    public EwcPenalty(nn.Module module, FisherInformation fisher, double strength)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(fisher);
        if (!(strength >= 0) || double.IsInfinity(strength))
            throw new ConfigException($"the EWC strength must be a non-negative number, found {strength}.");
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var missing = fisher.Names.Where(n => !parameters.ContainsKey(n)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            throw new CheckpointException($"the Fisher information names {missing.Count} parameter(s) the model does not have, e.g. '{missing[0]}' " +
                                          "(was it estimated on another architecture?).");
        var entries = new List<(string, Parameter, Tensor, Tensor)>();
        foreach (var name in fisher.Names.OrderBy(n => n, StringComparer.Ordinal))
        {
            var p = parameters[name];
            if (!p.shape.SequenceEqual(fisher.Fisher(name).shape))
                throw new CheckpointException($"Fisher entry '{name}' has shape [{string.Join(", ", fisher.Fisher(name).shape)}] but the model's parameter has [{string.Join(", ", p.shape)}].");
            // Kept on the parameter's device and dtype so the penalty costs no conversion per step.
            entries.Add((name, p, fisher.Fisher(name).to(p.dtype, p.device), fisher.Theta(name).to(p.dtype, p.device)));
        }
        _entries = entries.ToArray();
        Strength = strength;
    }

    public double Strength { get; }

    public IReadOnlyList<string> ParameterNames => _entries.Select(e => e.Name).ToArray();

    /// <summary>The penalty as a scalar with its graph.</summary>
    public Tensor Compute()
    {
        Tensor? sum = null;
        foreach (var (_, parameter, fisher, theta) in _entries)
        {
            using var diff = parameter - theta;
            using var squared = diff.square();
            using var weighted = squared * fisher;
            using var term = weighted.sum();
            var next = sum is null ? term.clone() : sum + term;
            sum?.Dispose();
            sum = next;
        }
        using (sum)
            return sum! * (Strength / 2);
    }

    public void Dispose()
    {
        foreach (var e in _entries)
        {
            e.Fisher.Dispose();
            e.Theta.Dispose();
        }
    }
}
