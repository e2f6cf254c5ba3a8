using Acclimate.Errors;
using Acclimate.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Continual;

/// <summary>
/// L2-SP (Li et al., 2018): λ·Σ‖θ − θ₀‖² over the selected parameters, pulling them toward the
/// values they had when the penalty was created (the pretrained starting point) instead of toward
/// zero as weight decay does. The starting values are copied at construction, so create the
/// penalty right after loading the model and before the first update. Holds that copy: dispose it.
/// </summary>
internal sealed class L2SpPenalty : IDisposable
{
    private readonly (string Name, Parameter Parameter, Tensor Start)[] _entries;

    /// <summary>Encoder-only penalty for a task model (see <see cref="ParameterSelection.EncoderOnly"/>).</summary>
    public L2SpPenalty(TransformerModel model, double strength)
        : this(model, strength, ParameterSelection.EncoderOnly(model)) { }

    /// <param name="module">The model being trained.</param>
    /// <param name="strength">λ (≥ 0).</param>
    /// <param name="include">Which parameter names are penalized.</param>
    public L2SpPenalty(nn.Module module, double strength, Func<string, bool> include)
    {
        if (!(strength >= 0) || double.IsInfinity(strength))
            throw new ConfigException($"the L2-SP strength must be a non-negative number, found {strength}.");
        var selected = ParameterSelection.Select(module, include);
        if (selected.Count == 0) throw new ConfigException("the L2-SP penalty selects no trainable parameter.");
        using var _ = no_grad();
        _entries = selected.Select(p => (p.Name, p.Parameter, p.Parameter.detach().clone())).ToArray();
        Strength = strength;
    }

    public double Strength { get; }

    public IReadOnlyList<string> ParameterNames => _entries.Select(e => e.Name).ToArray();

    /// <summary>The penalty as a scalar with its graph (add it to the loss before backward).</summary>
    public Tensor Compute()
    {
        Tensor? sum = null;
        foreach (var (_, parameter, start) in _entries)
        {
            using var diff = parameter - start;
            using var squared = diff.square().sum();
            var next = sum is null ? squared.clone() : sum + squared;
            sum?.Dispose();
            sum = next;
        }
        using (sum)
            return sum! * Strength;
    }

    public void Dispose()
    {
        foreach (var entry in _entries) entry.Start.Dispose();
    }
}
