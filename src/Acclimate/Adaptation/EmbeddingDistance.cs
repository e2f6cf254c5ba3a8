namespace Acclimate.Adaptation;

/// <summary>Distances between two samples of sentence embeddings.</summary>
public static class EmbeddingDistance
{
    /// <summary>Cosine similarity of the two samples' mean embeddings.</summary>
    public static double MeanCosine(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b)
    {
        var ma = Mean(a);
        var mb = Mean(b);
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < ma.Length; i++) { dot += ma[i] * mb[i]; na += ma[i] * ma[i]; nb += mb[i] * mb[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>
    /// Squared maximum mean discrepancy with a Gaussian kernel k(x, y) = exp(−‖x − y‖² / (2σ²)): the
    /// biased (V-statistic) estimate ‖mean φ(a) − mean φ(b)‖², which is never negative and exactly 0
    /// for identical samples. σ defaults to the median distance between the pooled points (the usual
    /// heuristic). Grows as the samples part.
    /// </summary>
    public static double Mmd2(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b, double? sigma = null)
    {
        if (a.Count < 1 || b.Count < 1) throw new ArgumentException("MMD needs at least one point in each sample.");
        var s = sigma ?? MedianDistance(a.Concat(b).ToList());
        if (!(s > 0)) s = 1;
        var gamma = 1 / (2 * s * s);
        double Kernel(float[] x, float[] y)
        {
            double d = 0;
            for (var i = 0; i < x.Length; i++) { var t = x[i] - y[i]; d += t * t; }
            return Math.Exp(-gamma * d);
        }
        double Within(IReadOnlyList<float[]> s1)
        {
            double sum = 0;
            for (var i = 0; i < s1.Count; i++)
                for (var j = 0; j < s1.Count; j++)
                    sum += Kernel(s1[i], s1[j]);
            return sum / ((double)s1.Count * s1.Count);
        }
        double cross = 0;
        foreach (var x in a) foreach (var y in b) cross += Kernel(x, y);
        return Within(a) + Within(b) - 2 * cross / (a.Count * (double)b.Count);
    }

    private static double[] Mean(IReadOnlyList<float[]> points)
    {
        if (points.Count == 0) throw new ArgumentException("a sample needs at least one embedding.");
        var mean = new double[points[0].Length];
        foreach (var p in points) for (var i = 0; i < mean.Length; i++) mean[i] += p[i];
        for (var i = 0; i < mean.Length; i++) mean[i] /= points.Count;
        return mean;
    }

    private static double MedianDistance(IReadOnlyList<float[]> points)
    {
        var distances = new List<double>();
        for (var i = 0; i < points.Count; i++)
            for (var j = i + 1; j < points.Count; j++)
            {
                double d = 0;
                for (var k = 0; k < points[i].Length; k++) { var t = points[i][k] - points[j][k]; d += t * t; }
                distances.Add(Math.Sqrt(d));
            }
        distances.Sort();
        return distances.Count == 0 ? 1 : distances[distances.Count / 2];
    }
}
