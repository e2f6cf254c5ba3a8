using Acclimate.Errors;

namespace Acclimate.Checkpoints;

/// <summary>
/// Weight-space interpolation of two models of one architecture (WiSE-FT, Wortsman et al. 2022):
/// θ = (1 − α)·θ_from + α·θ_to for every tensor. With <c>from</c> the starting encoder and
/// <c>to</c> the adapted one, α trades the domain gain against forgetting: α = 0 is the start, α = 1
/// the adapted model, values between often keep most of the gain and lose less.
/// </summary>
public static class WeightInterpolation
{
    /// <summary>
    /// Writes the interpolation of <paramref name="fromFolder"/> and <paramref name="toFolder"/> (HF
    /// model folders) at <paramref name="alpha"/> to <paramref name="outputFolder"/>. Every safetensors
    /// weight file is interpolated (floating tensors in float64, written back in their stored dtype;
    /// α = 0 and α = 1 reproduce the inputs bit for bit); config.json, the tokenizer and other files
    /// are copied from <paramref name="toFolder"/>. The write is atomic.
    /// </summary>
    /// <param name="fromFolder">The model at α = 0 (e.g. the encoder before adaptation).</param>
    /// <param name="toFolder">The model at α = 1 (e.g. the adapted encoder); its non-weight files are copied.</param>
    /// <param name="alpha">The weight of <paramref name="toFolder"/>, in [0, 1].</param>
    /// <param name="outputFolder">The folder to write; it must not exist unless <paramref name="overwrite"/>.</param>
    /// <param name="overwrite">Replace an existing <paramref name="outputFolder"/>.</param>
    /// <exception cref="ConfigException">α is outside [0, 1] or not a number.</exception>
    /// <exception cref="CheckpointException">A folder is missing; the models differ in weight files, tensor
    /// names, shapes or dtypes (the first difference is named, with both sides), in their config's
    /// architecture and sizes, or in their vocabulary files; or the output exists. Nothing is written then.</exception>
    public static WeightCombinationResult Interpolate(string fromFolder, string toFolder, double alpha, string outputFolder, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(fromFolder);
        ArgumentException.ThrowIfNullOrEmpty(toFolder);
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        if (double.IsNaN(alpha) || alpha < 0 || alpha > 1)
            throw new ConfigException($"alpha {alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}: expected a value in [0, 1] " +
                                      "(0 gives the --from model, 1 the --to model; extrapolation is not supported).");
        return WeightSpaceCombination.Combine(new[] { fromFolder, toFolder }, new[] { 1 - alpha, alpha }, new[] { "--from", "--to" },
            template: 1, outputFolder, overwrite);
    }
}
