using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Acclimate.OnnxRuntime;

/// <summary>
/// An ONNX Runtime session over a graph written by <c>OnnxExport</c>: inputs <c>input_ids</c>,
/// <c>attention_mask</c>, <c>token_type_ids</c> (int64 [batch, sequence]); rows of token ids are
/// right-padded with the pad id, the mask marks the real tokens, token types are 0 — what the
/// library's own forward passes feed. Thread-safe (ONNX Runtime sessions are).
/// </summary>
internal sealed class OnnxGraphSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly SessionOptions _options;
    private readonly long _padId;

    public OnnxGraphSession(string path, long padId, int? threads)
    {
        _padId = padId;
        _options = new SessionOptions { IntraOpNumThreads = threads ?? 0, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        try { _session = new InferenceSession(path, _options); }
        catch
        {
            _options.Dispose();
            throw;
        }
        Path = path;
    }

    public string Path { get; }

    /// <summary>Runs the graph on <paramref name="rows"/> and returns <paramref name="output"/> flattened with its shape.</summary>
    public (float[] Values, int[] Shape) Run(IReadOnlyList<long[]> rows, string output)
    {
        int batch = rows.Count, length = rows.Max(r => r.Length);
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        Array.Fill(ids, _padId);
        for (var r = 0; r < batch; r++)
        {
            rows[r].CopyTo(ids, r * length);
            Array.Fill(mask, 1L, r * length, rows[r].Length);
        }
        int[] shape = { batch, length };
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[batch * length], shape)),
        };
        using var results = _session.Run(inputs, new[] { output });
        var tensor = results.First().AsTensor<float>();
        return (tensor.ToArray(), tensor.Dimensions.ToArray());
    }

    public void Dispose()
    {
        _session.Dispose();
        _options.Dispose();
    }
}
