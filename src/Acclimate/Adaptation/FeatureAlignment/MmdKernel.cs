namespace Acclimate.Adaptation.FeatureAlignment;

/// <summary>The kernel of the MMD training loss (recipe key <c>adaptation.mmd.kernel</c>).</summary>
public enum MmdKernel
{
    /// <summary>A sum of five Gaussian kernels around the mean squared distance (DAN, Long et al. 2015).</summary>
    Multi,
    /// <summary>One Gaussian kernel at the mean squared distance (DDC, Tzeng et al. 2014).</summary>
    Single,
}
