using Acclimate.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Continual;

/// <summary>
/// Which parameters a forgetting penalty covers, as a predicate on TorchSharp parameter names
/// (the module's own names, e.g. <c>bert.encoder.layer.0.attention.self.query.weight</c>).
/// </summary>
internal static class ParameterSelection
{
    /// <summary>Every parameter.</summary>
    public static Func<string, bool> All { get; } = _ => true;

    /// <summary>
    /// The shared encoder only (names under <c>bert.</c>, <c>roberta.</c>, …): the part that
    /// carries general knowledge and that every task head sits on. Heads are left free — they are
    /// new or task-specific — and a penalty over encoder names carries over between head types.
    /// </summary>
    public static Func<string, bool> EncoderOnly(TransformerModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var prefix = model.BackboneName + ".";
        return name => name.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>The trainable parameters of <paramref name="module"/> that <paramref name="include"/> accepts, in registration order (each shared tensor once).</summary>
    public static IReadOnlyList<(string Name, Parameter Parameter)> Select(nn.Module module, Func<string, bool> include)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(include);
        return module.named_parameters().Where(p => p.parameter.requires_grad && include(p.name)).ToList();
    }
}
