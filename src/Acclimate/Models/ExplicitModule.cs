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
    protected ExplicitModule(string name) : base(name) { }

    protected override void RegisterComponents() { }
}
