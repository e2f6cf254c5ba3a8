using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// Base of Acclimate's modules. Children and parameters are registered explicitly under HF's
/// names (<c>register_module(nameof(dense), dense)</c>); TorchSharp's reflection over fields is
/// turned off, because it would also register private helpers (a head's reference to the shared
/// encoder, the encoder's typed view of its layer stack) a second time under their C# names.
/// </summary>
public abstract class ExplicitModule : nn.Module
{
    /// <summary>A module named <paramref name="name"/> (TorchSharp's module name, not a checkpoint key).</summary>
    protected ExplicitModule(string name) : base(name) { }

    /// <summary>Does nothing: subclasses register their children and parameters explicitly.</summary>
    protected override void RegisterComponents() { }

    /// <summary>Registers <paramref name="value"/> under <paramref name="name"/>, replacing any parameter of that name (vocabulary growth).</summary>
    internal void SetParameter(string name, Parameter value) => ConditionallyRegisterParameter(name, value);

    /// <summary>
    /// The parameter registered under <paramref name="name"/> right now. Code outside a module's
    /// own HF-named fields reads through this rather than keeping a reference: moving a module
    /// (<c>to(device)</c>, <c>to(dtype)</c>) registers new Parameter objects and disposes the old ones.
    /// </summary>
    internal Parameter Registered(string name) =>
        get_parameter(name) ?? throw new InvalidOperationException($"{GetName()}: no parameter '{name}' is registered.");
}

/// <summary>A module that only holds one <c>weight</c> parameter (an untied MLM <c>decoder</c>).</summary>
internal sealed class WeightHolder : ExplicitModule
{
    public WeightHolder(Tensor weight) : base(nameof(WeightHolder))
    {
        register_parameter("weight", new Parameter(weight));
    }

    /// <summary>The registered weight (read each time: a device or dtype move replaces it).</summary>
    public Parameter Weight => Registered("weight");

    public void Replace(Tensor weight)
    {
        var replacement = new Parameter(weight);
        // Owned by the module, not by whatever dispose scope the caller has open.
        replacement.DetachFromDisposeScope();
        SetParameter("weight", replacement);
    }
}
