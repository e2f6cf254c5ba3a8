using static TorchSharp.torch;

namespace Acclimate.Adaptation.FeatureAlignment;

/// <summary>
/// The gradient-reversal layer of domain-adversarial training (Ganin &amp; Lempitsky 2015): the
/// identity going forward, the gradient multiplied by −λ going back, so the features learn to
/// confuse the domain classifier that sits behind it.
/// </summary>
internal static class GradientReversal
{
    /// <summary>
    /// <paramref name="features"/> unchanged (bit for bit) with a reversed, λ-scaled gradient:
    /// detach(x) + (x − detach(x))·(−λ), whose value is exactly detach(x) because x − detach(x) is 0.
    /// </summary>
    public static Tensor Apply(Tensor features, double lambda)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (!(lambda >= 0) || double.IsInfinity(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "expected a finite λ >= 0.");
        using var constant = features.detach();
        using var zeroWithGradient = features - constant;
        using var reversed = zeroWithGradient * (-lambda);
        return constant + reversed;
    }
}
