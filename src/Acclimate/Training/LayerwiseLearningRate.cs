using System.Globalization;
using System.Text.RegularExpressions;
using Acclimate.Errors;

namespace Acclimate.Training;

/// <summary>
/// Layer-wise learning-rate decay (LLRD, as in ELECTRA's and ULMFiT-style fine-tuning): the head
/// trains at the full rate, encoder layer <c>i</c> of <c>L</c> at <c>rate × decay^(L − i)</c> and
/// the embeddings at <c>rate × decay^(L + 1)</c>. Depth is read from HF names:
/// <c>*.embeddings.*</c> is depth 0, <c>*.encoder.layer.{i}.*</c> is depth i + 1, any other encoder
/// parameter (ALBERT's shared layer group) sits at depth L, everything else (pooler, heads, CRF)
/// at depth L + 1.
/// </summary>
internal static partial class LayerwiseLearningRate
{
    [GeneratedRegex(@"(?:^|\.)encoder\.layer\.(\d+)\.")]
    private static partial Regex EncoderLayer();

    [GeneratedRegex(@"(?:^|\.)(?:embeddings|encoder\.embedding_hidden_mapping_in)\.")]
    private static partial Regex Embeddings();

    [GeneratedRegex(@"(?:^|\.)encoder\.")]
    private static partial Regex OtherEncoder();

    /// <summary>The depth of <paramref name="parameterName"/> in a model with <paramref name="numLayers"/> encoder layers (0 … numLayers + 1).</summary>
    public static int Depth(string parameterName, int numLayers)
    {
        ArgumentNullException.ThrowIfNull(parameterName);
        if (numLayers < 1) throw new ConfigException($"layer-wise learning rates need at least one encoder layer (got {numLayers}).");
        if (Embeddings().IsMatch(parameterName)) return 0;
        var layer = EncoderLayer().Match(parameterName);
        if (layer.Success)
        {
            var index = int.Parse(layer.Groups[1].Value, CultureInfo.InvariantCulture);
            if (index >= numLayers)
                throw new ConfigException($"parameter '{parameterName}' names encoder layer {index}, but the model has {numLayers} layers (0 … {numLayers - 1}).");
            return index + 1;
        }
        return OtherEncoder().IsMatch(parameterName) ? numLayers : numLayers + 1;
    }

    /// <summary>
    /// A group function for <c>AdamWOptimizer.Create</c>: groups <c>embeddings</c>,
    /// <c>layer_0</c> … <c>layer_{L-1}</c> (plus <c>encoder_shared</c> for ALBERT) and <c>head</c>,
    /// with rates decaying by <paramref name="decay"/> per level below the head.
    /// <paramref name="headLearningRate"/> (default: <paramref name="learningRate"/>) is the head's
    /// rate; the encoder's levels decay from <paramref name="learningRate"/>.
    /// </summary>
    public static Func<string, ParameterGroupChoice> Groups(double learningRate, double decay, int numLayers, double? headLearningRate = null)
    {
        if (!(learningRate > 0)) throw new ConfigException($"layer-wise learning rates need a learning rate > 0 (got {learningRate}).");
        if (!(decay > 0 && decay <= 1)) throw new ConfigException($"layer-wise decay must be in (0, 1] (got {decay}).");
        var top = numLayers + 1;
        return name =>
        {
            var depth = Depth(name, numLayers);
            if (depth == top) return new ParameterGroupChoice("head", headLearningRate ?? learningRate);
            var rate = learningRate * Math.Pow(decay, top - depth);
            var group = depth == 0 ? "embeddings"
                : depth == numLayers && !EncoderLayer().IsMatch(name) ? "encoder_shared"
                : "layer_" + (depth - 1).ToString(CultureInfo.InvariantCulture);
            return new ParameterGroupChoice(group, rate);
        };
    }
}
