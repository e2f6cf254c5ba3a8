using Acclimate.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Adaptation.FeatureAlignment;

/// <summary>
/// The domain discriminator of DANN: features [B, d] → Linear(d, hidden) → ReLU → Linear(hidden, 1)
/// → one logit per example (target = 1, source = 0). It is a training-time network only: it is not
/// part of the tagger or classifier that a run saves for inference. No dropout, so its output does
/// not depend on train/eval mode.
/// </summary>
internal sealed class DomainClassifier : ExplicitModule
{
    private readonly Linear dense;
    private readonly Linear out_proj;

    public DomainClassifier(int features, int hidden) : base(nameof(DomainClassifier))
    {
        if (features < 1 || hidden < 1) throw new ArgumentOutOfRangeException(nameof(features), $"domain classifier: features {features} and hidden {hidden} must be >= 1.");
        dense = nn.Linear(features, hidden);
        out_proj = nn.Linear(hidden, 1);
        register_module(nameof(dense), dense);
        register_module(nameof(out_proj), out_proj);
    }

    /// <summary>[B, d] → logits [B].</summary>
    public Tensor Forward(Tensor features)
    {
        using var hidden = dense.forward(features);
        using var activated = nn.functional.relu(hidden);
        using var logits = out_proj.forward(activated);
        return logits.squeeze(1);
    }
}
