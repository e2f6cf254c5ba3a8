using System.Diagnostics;
using static TorchSharp.torch;

namespace Acclimate.Bench;

/// <summary>Measures the machine's sustained fp32 matrix-multiply rate, the ceiling MFU is measured against.</summary>
public static class MatmulRate
{
    /// <summary>Best GFLOP/s over <paramref name="repeats"/> timed runs of an n×n by n×n product.</summary>
    public static double MeasureGflops(int n = 1024, int repeats = 10, ScalarType dtype = ScalarType.Float32)
    {
        using var a = randn(n, n).to_type(dtype);
        using var b = randn(n, n).to_type(dtype);
        for (var i = 0; i < 3; i++) { using var warm = a.mm(b); }
        var best = double.MaxValue;
        for (var r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            using var c = a.mm(b);
            _ = c[0, 0].to_type(ScalarType.Float32).item<float>();   // the product is computed eagerly; reading one value keeps the call honest
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * (double)n / best / 1e9;
    }
}
