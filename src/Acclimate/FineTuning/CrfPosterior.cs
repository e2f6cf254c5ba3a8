using Acclimate.Errors;

namespace Acclimate.FineTuning;

/// <summary>
/// What a tagger believes about one sentence's tags beyond its single best path: the probability
/// that a run of consecutive words carries exactly the given tags.
/// </summary>
internal interface ITagPosterior
{
    /// <summary>Number of words.</summary>
    int Length { get; }

    /// <summary>p(y[start + i] = tags[i] for every i | sentence), in [0, 1].</summary>
    double SpanProbability(int start, ReadOnlySpan<int> tags);
}

/// <summary>
/// The posterior of a linear-chain CRF over one sentence, in plain C# (double precision, log
/// space, no libtorch): the forward–backward recursions over the emissions [words, tags], the
/// start, end and transition scores, with disallowed starts, ends and transitions of the
/// <see cref="CrfConstraints"/> at −∞ (so a path that breaks them has probability exactly 0).
/// </summary>
/// <remarks>
/// αₜ(j) = eₜ(j) + log Σᵢ exp(αₜ₋₁(i) + T(i, j)) with α₀(j) = start(j) + e₀(j);
/// βₜ(i) = log Σⱼ exp(T(i, j) + eₜ₊₁(j) + βₜ₊₁(j)) with βₙ₋₁(i) = end(i);
/// log Z = log Σⱼ exp(αₙ₋₁(j) + end(j)). The marginal p(yₜ = k) is exp(αₜ(k) + βₜ(k) − log Z), and the
/// probability that words s..e carry tags yₛ..yₑ is
/// exp(αₛ(yₛ) + Σₜ₌ₛ₊₁..ₑ [T(yₜ₋₁, yₜ) + eₜ(yₜ)] + βₑ(yₑ) − log Z): the total weight of every path
/// through that sub-path, over the total weight of every path.
/// </remarks>
public sealed class CrfPosterior : ITagPosterior
{
    private readonly double[,] _alpha;
    private readonly double[,] _beta;
    private readonly double[,] _emissions;
    private readonly double[,] _transitions;

    private CrfPosterior(double[,] emissions, double[,] transitions, double[] start, double[] end)
    {
        var (n, tags) = (emissions.GetLength(0), emissions.GetLength(1));
        _emissions = emissions;
        _transitions = transitions;
        _alpha = new double[n, tags];
        _beta = new double[n, tags];
        Length = n;
        NumTags = tags;
        if (n == 0) return;
        var terms = new double[tags];
        for (var j = 0; j < tags; j++) _alpha[0, j] = start[j] + emissions[0, j];
        for (var t = 1; t < n; t++)
            for (var j = 0; j < tags; j++)
            {
                for (var i = 0; i < tags; i++) terms[i] = _alpha[t - 1, i] + transitions[i, j];
                _alpha[t, j] = LogSumExp(terms) + emissions[t, j];
            }
        for (var i = 0; i < tags; i++) _beta[n - 1, i] = end[i];
        for (var t = n - 2; t >= 0; t--)
            for (var i = 0; i < tags; i++)
            {
                for (var j = 0; j < tags; j++) terms[j] = transitions[i, j] + emissions[t + 1, j] + _beta[t + 1, j];
                _beta[t, i] = LogSumExp(terms);
            }
        for (var j = 0; j < tags; j++) terms[j] = _alpha[n - 1, j] + end[j];
        LogPartition = LogSumExp(terms);
        if (double.IsNegativeInfinity(LogPartition))
            throw new ConfigException($"CRF posterior: the constraints allow no tag path of length {n}.");
        if (!double.IsFinite(LogPartition))
            throw new DataException($"CRF posterior: the emissions of a {n}-word sentence give a log partition of {LogPartition}; expected a finite number (are there NaN or infinite scores?).");
    }

    /// <summary>
    /// The posterior of the CRF with the given scores over <paramref name="emissions"/> [words, tags].
    /// </summary>
    /// <param name="emissions">Per-word tag scores [words, tags].</param>
    /// <param name="transitions">[from, to] transition scores.</param>
    /// <param name="start">Start scores per tag.</param>
    /// <param name="end">End scores per tag.</param>
    /// <param name="constraints">Allowed starts, ends and transitions (disallowed ones get −∞), or null.</param>
    public static CrfPosterior Compute(float[,] emissions, float[,] transitions, float[] start, float[] end, CrfConstraints? constraints)
    {
        ArgumentNullException.ThrowIfNull(emissions);
        ArgumentNullException.ThrowIfNull(transitions);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        var tags = start.Length;
        if (tags == 0 || end.Length != tags || transitions.GetLength(0) != tags || transitions.GetLength(1) != tags)
            throw new ConfigException($"CRF posterior: {tags} start scores need {tags} end scores and [{tags}, {tags}] transitions; got {end.Length} and [{transitions.GetLength(0)}, {transitions.GetLength(1)}].");
        if (emissions.GetLength(1) != tags && emissions.GetLength(0) > 0)
            throw new DataException($"CRF posterior: emissions must be [words, {tags}]; got [{emissions.GetLength(0)}, {emissions.GetLength(1)}].");
        if (constraints is not null && constraints.NumTags != tags)
            throw new ConfigException($"CRF posterior: the constraints describe {constraints.NumTags} tags but the CRF has {tags}.");
        var n = emissions.GetLength(0);
        var e = new double[n, tags];
        for (var t = 0; t < n; t++)
            for (var j = 0; j < tags; j++) e[t, j] = emissions[t, j];
        var s = new double[tags];
        var f = new double[tags];
        var tr = new double[tags, tags];
        for (var i = 0; i < tags; i++)
        {
            s[i] = constraints is null || constraints.AllowedStart(i) ? start[i] : double.NegativeInfinity;
            f[i] = constraints is null || constraints.AllowedEnd(i) ? end[i] : double.NegativeInfinity;
            for (var j = 0; j < tags; j++)
                tr[i, j] = constraints is null || constraints.Allowed(i, j) ? transitions[i, j] : double.NegativeInfinity;
        }
        return new CrfPosterior(e, tr, s, f);
    }

    /// <summary>The posterior of a (torch) CRF's current parameters over <paramref name="emissions"/>.</summary>
    internal static CrfPosterior Compute(ConditionalRandomField crf, float[,] emissions) => For(crf)(emissions);

    /// <summary>
    /// Reads the CRF's scores and constraints once and returns the posterior over any emissions with
    /// them (no tensor is touched afterwards, so the CRF may be disposed).
    /// </summary>
    internal static Func<float[,], CrfPosterior> For(ConditionalRandomField crf)
    {
        ArgumentNullException.ThrowIfNull(crf);
        var tags = crf.NumTags;
        using var scope = TorchSharp.torch.NewDisposeScope();
        float[] Read(TorchSharp.torch.Tensor t) => TensorData.ToArray<float>(t.detach().to(TorchSharp.torch.ScalarType.Float32).cpu());
        var flat = Read(crf.Transitions);
        var transitions = new float[tags, tags];
        for (var i = 0; i < tags; i++)
            for (var j = 0; j < tags; j++) transitions[i, j] = flat[i * tags + j];
        var (start, end, constraints) = (Read(crf.StartTransitions), Read(crf.EndTransitions), crf.Constraints);
        return emissions => Compute(emissions, transitions, start, end, constraints);
    }

    /// <summary>Number of words.</summary>
    public int Length { get; }

    /// <summary>Number of tags.</summary>
    public int NumTags { get; }

    /// <summary>log Z: the log-sum-exp of the scores of every allowed tag path (0 for an empty sentence).</summary>
    public double LogPartition { get; }

    /// <summary>p(y[<paramref name="position"/>] = <paramref name="tag"/> | sentence).</summary>
    public double Marginal(int position, int tag)
    {
        CheckPosition(position, 1);
        CheckTag(tag);
        return Math.Exp(_alpha[position, tag] + _beta[position, tag] - LogPartition);
    }

    /// <summary>Every marginal, [words, tags]; each row sums to 1.</summary>
    public double[,] Marginals()
    {
        var result = new double[Length, NumTags];
        for (var t = 0; t < Length; t++)
            for (var k = 0; k < NumTags; k++) result[t, k] = Math.Exp(_alpha[t, k] + _beta[t, k] - LogPartition);
        return result;
    }

    /// <summary>
    /// p(y[start + i] = tags[i] for every i | sentence): the probability mass of all paths that carry
    /// exactly these tags on these words (whatever they carry elsewhere). An empty span has probability 1.
    /// </summary>
    public double SpanProbability(int start, ReadOnlySpan<int> tags)
    {
        if (tags.Length == 0) return 1.0;
        CheckPosition(start, tags.Length);
        foreach (var tag in tags) CheckTag(tag);
        var score = _alpha[start, tags[0]];
        for (var i = 1; i < tags.Length; i++)
            score += _transitions[tags[i - 1], tags[i]] + _emissions[start + i, tags[i]];
        score += _beta[start + tags.Length - 1, tags[^1]];
        return double.IsNegativeInfinity(score) ? 0.0 : Math.Min(1.0, Math.Exp(score - LogPartition));
    }

    private void CheckPosition(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"words {start}..{start + count - 1} are outside a sentence of {Length} words.");
    }

    private void CheckTag(int tag)
    {
        if (tag < 0 || tag >= NumTags) throw new ArgumentOutOfRangeException(nameof(tag), $"tag {tag} is not in 0..{NumTags - 1}.");
    }

    private static double LogSumExp(double[] values)
    {
        var max = double.NegativeInfinity;
        foreach (var v in values)
        {
            if (double.IsNaN(v)) return double.NaN;
            if (v > max) max = v;
        }
        if (double.IsInfinity(max)) return max;
        double sum = 0;
        foreach (var v in values) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}

/// <summary>
/// The posterior of a tagger whose words are labelled independently (a softmax head, or the mean of
/// an ensemble's per-word probabilities): a span's probability is the product of its words' probabilities.
/// </summary>
internal sealed class IndependentTagPosterior : ITagPosterior
{
    private readonly float[,] _probabilities;

    /// <param name="probabilities">[words, tags] per-word probabilities (rows sum to 1).</param>
    public IndependentTagPosterior(float[,] probabilities) => _probabilities = probabilities ?? throw new ArgumentNullException(nameof(probabilities));

    public int Length => _probabilities.GetLength(0);

    public double SpanProbability(int start, ReadOnlySpan<int> tags)
    {
        if (start < 0 || start + tags.Length > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"words {start}..{start + tags.Length - 1} are outside a sentence of {Length} words.");
        var p = 1.0;
        for (var i = 0; i < tags.Length; i++) p *= _probabilities[start + i, tags[i]];
        return p;
    }
}

/// <summary>An ensemble that votes: a span's probability is the mean of the members' span probabilities.</summary>
internal sealed class MeanTagPosterior : ITagPosterior
{
    private readonly IReadOnlyList<ITagPosterior> _members;

    public MeanTagPosterior(IReadOnlyList<ITagPosterior> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("a mean needs at least one member.", nameof(members));
        _members = members;
    }

    public int Length => _members[0].Length;

    public double SpanProbability(int start, ReadOnlySpan<int> tags)
    {
        double sum = 0;
        foreach (var m in _members) sum += m.SpanProbability(start, tags);
        return sum / _members.Count;
    }
}
