using Acclimate.Errors;
using static TorchSharp.torch;

namespace Acclimate.Checkpoints;

/// <summary>One expected tensor compared with what the model produced.</summary>
public sealed record TensorComparison(string Name, long[] Shape, double MaxAbsDiff, double Tolerance)
{
    /// <summary>True when the largest absolute difference is within the tolerance.</summary>
    public bool Passed => MaxAbsDiff <= Tolerance;
}

/// <summary>
/// Compares a model folder's outputs with reference outputs from HuggingFace: runs the model in
/// eval mode on <c>inputs.json</c> and compares every tensor of <c>expected.safetensors</c>
/// (named as <see cref="Models.ModelOutputs.Named"/> writes them, prefixed <c>b{batch}.</c>).
/// Hidden states and pooler outputs must agree within 1e-5, logits and losses within 1e-4.
/// </summary>
public static class ParityCheck
{
    /// <summary>Loads the HF folder, runs it on every batch of the inputs file and compares each expected tensor within its tolerance.</summary>
    /// <param name="modelFolder">HF model folder.</param>
    /// <param name="inputsPath">The fixture's <c>inputs.json</c> (batches of model inputs).</param>
    /// <param name="expectedPath">The fixture's <c>expected.safetensors</c> (HF's outputs, named <c>b{batch}.{output}</c>).</param>
    /// <returns>One comparison per expected tensor.</returns>
    public static IReadOnlyList<TensorComparison> Run(string modelFolder, string inputsPath, string expectedPath)
    {
        var (model, _) = PretrainedModel.Load(modelFolder);
        using var _m = model;
        model.eval();
        var batches = ModelInputsFile.Read(inputsPath);
        using var expected = SafetensorsFile.Open(expectedPath);
        var results = new List<TensorComparison>();
        using (no_grad())
        {
            var produced = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (var b = 0; b < batches.Count; b++)
                foreach (var (name, value) in model.Forward(batches[b]).Named())
                    produced[$"b{b}.{name}"] = value;
            foreach (var name in expected.Tensors.Keys.OrderBy(k => k, StringComparer.Ordinal))
            {
                if (!produced.TryGetValue(name, out var got))
                    throw new CheckpointException($"{expectedPath}: the model produced no output named '{name}'.");
                using var want = expected.ReadTensor(name, ScalarType.Float32);
                var tolerance = name.Contains("hidden_state") || name.Contains("pooler_output") ? 1e-5 : 1e-4;
                double diff;
                if (!want.shape.SequenceEqual(got.shape)) diff = double.PositiveInfinity;
                else
                {
                    using var d = (want - got).abs().max();
                    diff = d.item<float>();
                }
                results.Add(new TensorComparison(name, want.shape, diff, tolerance));
            }
        }
        return results;
    }
}
