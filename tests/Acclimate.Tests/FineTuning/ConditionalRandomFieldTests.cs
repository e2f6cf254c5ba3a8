using Acclimate.Errors;
using Acclimate.FineTuning;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning;

/// <summary>
/// The CRF against brute force: every quantity is recomputed by enumerating all T^n tag paths of
/// tiny sequences in plain C# doubles, from the CRF's own parameter values.
/// </summary>
public sealed class ConditionalRandomFieldTests
{
    public ConditionalRandomFieldTests() => TorchRuntime.EnsureInitialized();

    public static TheoryData<int, bool> Seeds()
    {
        var data = new TheoryData<int, bool>();
        foreach (var seed in new[] { 1, 2, 3 })
            foreach (var constrained in new[] { false, true })
                data.Add(seed, constrained);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void LogPartitionEqualsBruteForceOverEveryPath(int seed, bool constrained)
    {
        var (crf, emissions, mask, constraints) = RandomCase(seed, constrained, numTags: 3);
        using var _ = crf;
        using var scope = NewDisposeScope();
        var logZ = crf.LogPartition(emissions, mask).data<double>().ToArray();
        var brute = new BruteForce(crf, emissions, mask, constraints);
        for (var b = 0; b < brute.Batch; b++)
        {
            var paths = brute.AllowedPaths(b).ToList();
            var expected = brute.Length(b) == 0 ? 0.0 : LogSumExp(paths.Select(p => brute.PathScore(b, p)));
            Assert.Equal(expected, logZ[b], 9);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ScoreEqualsBruteForcePathScore(int seed, bool constrained)
    {
        var (crf, emissions, mask, constraints) = RandomCase(seed, constrained, numTags: 3);
        using var _ = crf;
        using var scope = NewDisposeScope();
        var brute = new BruteForce(crf, emissions, mask, constraints);
        var rng = new Random(seed);
        // A random allowed path per row, padded with -100 as a labeler would pad.
        var tags = full(new[] { emissions.shape[0], emissions.shape[1] }, -100L, dtype: ScalarType.Int64);
        var chosen = new int[brute.Batch][];
        for (var b = 0; b < brute.Batch; b++)
        {
            var paths = brute.AllowedPaths(b).ToList();
            chosen[b] = paths[rng.Next(paths.Count)];
            for (var t = 0; t < chosen[b].Length; t++) tags[b, t] = tensor((long)chosen[b][t]);
        }
        var scores = crf.Score(emissions, tags, mask).data<double>().ToArray();
        for (var b = 0; b < brute.Batch; b++)
            Assert.Equal(brute.Length(b) == 0 ? 0.0 : brute.PathScore(b, chosen[b]), scores[b], 9);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ViterbiEqualsBruteForceArgmax(int seed, bool constrained)
    {
        var (crf, emissions, mask, constraints) = RandomCase(seed, constrained, numTags: 4);
        using var _ = crf;
        using var scope = NewDisposeScope();
        var decoded = crf.Decode(emissions, mask);
        var brute = new BruteForce(crf, emissions, mask, constraints);
        for (var b = 0; b < brute.Batch; b++)
        {
            Assert.Equal(brute.Length(b), decoded.Paths[b].Length);
            if (brute.Length(b) == 0) continue;
            var best = brute.AllowedPaths(b).MaxBy(p => brute.PathScore(b, p))!;
            Assert.Equal(best, decoded.Paths[b]);
            Assert.Equal(brute.PathScore(b, best), decoded.Scores[b], 9);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void BatchedMarginalsEqualBruteForcePathPosteriors(int seed, bool constrained)
    {
        var (crf, emissions, mask, constraints) = RandomCase(seed, constrained, numTags: 4);
        using var _ = crf;
        using var scope = NewDisposeScope();
        var marginals = crf.Marginals(emissions, mask);
        Assert.False(emissions.requires_grad);
        var values = marginals.data<double>().ToArray();
        var brute = new BruteForce(crf, emissions, mask, constraints);
        var (width, tags) = ((int)emissions.shape[1], crf.NumTags);
        for (var b = 0; b < brute.Batch; b++)
        {
            var n = brute.Length(b);
            var expected = new double[width, tags];
            if (n > 0)
            {
                var paths = brute.AllowedPaths(b).ToArray();
                var logZ = LogSumExp(paths.Select(p => brute.PathScore(b, p)));
                foreach (var path in paths)
                {
                    var posterior = Math.Exp(brute.PathScore(b, path) - logZ);
                    for (var t = 0; t < n; t++) expected[t, path[t]] += posterior;
                }
            }
            // Rows are independent: padded positions get nothing, real ones their own posterior.
            for (var t = 0; t < width; t++)
                for (var k = 0; k < tags; k++)
                    Assert.Equal(expected[t, k], values[(b * width + t) * tags + k], 9);
        }
    }

    [Fact]
    public void ConstrainedDecodingNeverEmitsADisallowedPath()
    {
        // BIO over two types: O, B-A, I-A, B-B, I-B. I-x may follow only B-x or I-x and may not start.
        var constraints = Bio(2);
        manual_seed(5);
        using var constrainedCrf = new ConditionalRandomField(5, constraints);
        using var freeCrf = new ConditionalRandomField(5);
        var constrainedViolations = 0;
        var freeViolations = 0;
        for (var trial = 0; trial < 200; trial++)
        {
            using var scope = NewDisposeScope();
            // Emissions favouring I- tags make an unconstrained CRF break BIO often.
            var emissions = randn(4, 9, 5) * 4 + tensor(new float[] { 0, 0, 3, 0, 3 });
            var lengths = randint(0, 10, new long[] { 4 }, dtype: ScalarType.Int64);
            var mask = arange(9).unsqueeze(0).lt(lengths.unsqueeze(1));
            foreach (var path in constrainedCrf.Decode(emissions, mask).Paths)
                if (!constraints.IsAllowed(path)) constrainedViolations++;
            foreach (var path in freeCrf.Decode(emissions, mask).Paths)
                if (!constraints.IsAllowed(path)) freeViolations++;
        }
        Assert.Equal(0, constrainedViolations);
        Assert.True(freeViolations > 50, $"the unconstrained CRF broke BIO only {freeViolations} times: the emissions do not test the constraints");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NegativeLogLikelihoodGradientMatchesFiniteDifferences(bool constrained)
    {
        var (crf, emissionsValue, mask, constraints) = RandomCase(7, constrained, numTags: 3);
        using var _ = crf;
        using var scope = NewDisposeScope();
        var brute = new BruteForce(crf, emissionsValue, mask, constraints);
        var rng = new Random(7);
        var tags = full(new[] { emissionsValue.shape[0], emissionsValue.shape[1] }, -100L, dtype: ScalarType.Int64);
        for (var b = 0; b < brute.Batch; b++)
        {
            var paths = brute.AllowedPaths(b).ToList();
            var path = paths[rng.Next(paths.Count)];
            for (var t = 0; t < path.Length; t++) tags[b, t] = tensor((long)path[t]);
        }
        var emissions = emissionsValue.clone().requires_grad_(true);
        var loss = crf.NegativeLogLikelihood(emissions, tags, mask, CrfReduction.Sum);
        loss.backward();

        double Loss()
        {
            using var inner = NewDisposeScope();
            using var noGrad = no_grad();
            return crf.NegativeLogLikelihood(emissions, tags, mask, CrfReduction.Sum).item<double>();
        }
        const double h = 1e-6;
        var checkedEntries = 0;
        foreach (var (name, parameter) in new (string, Tensor)[] { ("emissions", emissions), ("transitions", crf.Transitions), ("start", crf.StartTransitions), ("end", crf.EndTransitions) })
        {
            var analytic = parameter.grad!.reshape(-1).data<double>().ToArray();
            var flat = parameter.detach().reshape(-1);   // a view: writing it moves the parameter
            for (var i = 0; i < analytic.Length; i++)
            {
                var original = flat[i].item<double>();
                using (no_grad()) flat[i] = tensor(original + h);
                var plus = Loss();
                using (no_grad()) flat[i] = tensor(original - h);
                var minus = Loss();
                using (no_grad()) flat[i] = tensor(original);
                var numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[i]) < 1e-6, $"{name}[{i}]: analytic {analytic[i]:G9}, numeric {numeric:G9}");
                checkedEntries++;
            }
        }
        Assert.True(checkedEntries > 40);
        // Padded positions take no part in the likelihood.
        using var paddedGrad = emissions.grad!.masked_select(mask.logical_not().unsqueeze(2).expand_as(emissions));
        Assert.True(paddedGrad.numel() > 0);
        Assert.Equal(0.0, paddedGrad.abs().max().item<double>());
    }

    [Fact]
    public void GarbageInPaddedPositionsChangesNothing()
    {
        var (crf, emissions, mask, _) = RandomCase(3, constrained: true, numTags: 3);
        using var _c = crf;
        using var scope = NewDisposeScope();
        var dirty = emissions.masked_fill(mask.logical_not().unsqueeze(2), double.PositiveInfinity).requires_grad_(true);
        var tags = crf.Decode(emissions, mask).Paths;
        var tagTensor = zeros(emissions.shape[0], emissions.shape[1], dtype: ScalarType.Int64);
        for (var b = 0; b < tags.Count; b++)
            for (var t = 0; t < tags[b].Length; t++) tagTensor[b, t] = tensor((long)tags[b][t]);
        var clean = crf.NegativeLogLikelihood(emissions, tagTensor, mask, CrfReduction.None).data<double>().ToArray();
        var loss = crf.NegativeLogLikelihood(dirty, tagTensor, mask, CrfReduction.None);
        Assert.Equal(clean, loss.data<double>().ToArray());
        loss.sum().backward();
        Assert.False(dirty.grad!.isnan().any().item<bool>());
        Assert.Equal(crf.Decode(emissions, mask).Paths, crf.Decode(dirty.detach(), mask).Paths);
    }

    [Fact]
    public void ReductionsAgreeWithThePerSequenceValues()
    {
        var (crf, emissions, mask, _) = RandomCase(4, constrained: false, numTags: 3);
        using var _c = crf;
        using var scope = NewDisposeScope();
        var tags = randint(0, 3, new[] { emissions.shape[0], emissions.shape[1] }, dtype: ScalarType.Int64);
        var each = crf.NegativeLogLikelihood(emissions, tags, mask, CrfReduction.None).data<double>().ToArray();
        var lengths = mask.sum(1).data<long>().ToArray();
        Assert.Equal(each.Sum(), crf.NegativeLogLikelihood(emissions, tags, mask, CrfReduction.Sum).item<double>(), 9);
        Assert.Equal(each.Sum() / lengths.Count(l => l > 0), crf.NegativeLogLikelihood(emissions, tags, mask, CrfReduction.Mean).item<double>(), 9);
        Assert.Equal(each.Sum() / lengths.Sum(), crf.NegativeLogLikelihood(emissions, tags, mask, CrfReduction.TokenMean).item<double>(), 9);
        Assert.Contains(lengths, l => l == 0);
        Assert.All(each.Zip(lengths), p => Assert.True(p.Second == 0 ? p.First == 0 : p.First > 0));
    }

    [Fact]
    public void GoldPathBreakingTheConstraintsIsADataError()
    {
        using var crf = new ConditionalRandomField(5, Bio(2));
        using var scope = NewDisposeScope();
        var emissions = randn(2, 4, 5);
        var mask = tensor(new[,] { { true, true, true, false }, { true, true, true, true } });
        // Row 1 jumps from B-A (1) to I-B (4).
        var tags = tensor(new long[,] { { 1, 2, 0, -100 }, { 0, 1, 4, 4 } });
        var error = Assert.Throws<DataException>(() => crf.NegativeLogLikelihood(emissions, tags, mask));
        Assert.Contains("row 1", error.Message);
        Assert.Contains("position 2", error.Message);
        Assert.Null(crf.FindViolation(tensor(new long[,] { { 1, 2, 0, -100 }, { 0, 3, 4, 4 } }), mask));
        var startsWithI = tensor(new long[,] { { 2, 2, 0, -100 }, { 0, 3, 4, 4 } });
        Assert.Contains("row 0: position 0", crf.FindViolation(startsWithI, mask));
    }

    [Fact]
    public void BadShapesAndMasksAreRejected()
    {
        using var crf = new ConditionalRandomField(3);
        using var scope = NewDisposeScope();
        Assert.Throws<DataException>(() => crf.LogPartition(randn(2, 4, 4), ones(2, 4, dtype: ScalarType.Bool)));
        Assert.Throws<DataException>(() => crf.LogPartition(randn(2, 4, 3), ones(2, 5, dtype: ScalarType.Bool)));
        // Left padding is not a prefix.
        Assert.Throws<DataException>(() => crf.Decode(randn(1, 3, 3), tensor(new[,] { { false, true, true } })));
        Assert.Throws<DataException>(() => crf.Score(randn(1, 2, 3), tensor(new long[,] { { 0, 3 } }), ones(1, 2, dtype: ScalarType.Bool)));
        Assert.Throws<ConfigException>(() => new ConditionalRandomField(3, Bio(2)));
    }

    [Fact]
    public void ConstraintsThatAdmitNoPathOfSomeLengthFailDecodingLoudly()
    {
        // Only 0 may start, only 1 may end, and the only transition is 0 → 1: length 2 alone is possible.
        var constraints = new CrfConstraints(new[,] { { false, true }, { false, false } }, new[] { true, false }, new[] { false, true });
        using var crf = new ConditionalRandomField(2, constraints);
        using var scope = NewDisposeScope();
        var emissions = randn(1, 3, 2);
        Assert.Equal(new[] { 0, 1 }, crf.Decode(emissions, tensor(new[,] { { true, true, false } })).Paths[0]);
        var error = Assert.Throws<ConfigException>(() => crf.Decode(emissions, ones(1, 3, dtype: ScalarType.Bool)));
        Assert.Contains("length 3", error.Message);
        Assert.Throws<ConfigException>(() => new CrfConstraints(new bool[2, 2], new[] { false, false }, new[] { true, true }));
    }

    [Fact]
    public void StateDictHoldsOnlyTheLearnedScores()
    {
        using var crf = new ConditionalRandomField(5, Bio(2));
        var keys = crf.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "end_transitions", "start_transitions", "transitions" }, keys);
        Assert.Equal(new long[] { 5, 5 }, crf.Transitions.shape);
    }

    [Fact]
    public void TrainingOnDataLearnsItsTransitions()
    {
        // Tags alternate 0,1,0,1… with uninformative emissions: only transitions can explain them.
        manual_seed(3);
        using var crf = new ConditionalRandomField(2);
        using var optimizer = optim.Adam(crf.parameters(), lr: 0.1);
        var tags = tensor(new long[,] { { 0, 1, 0, 1, 0, 1 }, { 1, 0, 1, 0, 1, 0 } });
        var mask = ones(2, 6, dtype: ScalarType.Bool);
        var emissions = zeros(2, 6, 2);
        for (var step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            crf.NegativeLogLikelihood(emissions, tags, mask).backward();
            optimizer.step();
        }
        using var t = crf.Transitions.detach();
        Assert.True(t[0, 1].item<float>() > t[0, 0].item<float>() + 1 && t[1, 0].item<float>() > t[1, 1].item<float>() + 1);
        Assert.Equal(new[] { 0, 1, 0, 1 }, crf.Decode(zeros(1, 4, 2) + tensor(new float[] { 0.5f, 0 }), ones(1, 4, dtype: ScalarType.Bool)).Paths[0]);
    }

    /// <summary>BIO constraints over <paramref name="types"/> entity types: tags O, B-1, I-1, B-2, I-2, …</summary>
    internal static CrfConstraints Bio(int types)
    {
        var n = 1 + 2 * types;
        var allowed = new bool[n, n];
        var start = new bool[n];
        var end = Enumerable.Repeat(true, n).ToArray();
        for (var to = 0; to < n; to++)
        {
            var isInside = to > 0 && to % 2 == 0;
            start[to] = !isInside;
            for (var from = 0; from < n; from++)
                allowed[from, to] = !isInside || from == to || from == to - 1;
        }
        return new CrfConstraints(allowed, start, end);
    }

    private static (ConditionalRandomField Crf, Tensor Emissions, Tensor Mask, CrfConstraints? Constraints) RandomCase(int seed, bool constrained, int numTags)
    {
        var rng = new Random(seed);
        CrfConstraints? constraints = null;
        if (constrained)
        {
            // Random constraints with tag 0 free everywhere (like O), so every length has a path.
            var allowed = new bool[numTags, numTags];
            var start = new bool[numTags];
            var end = new bool[numTags];
            for (var i = 0; i < numTags; i++)
            {
                start[i] = i == 0 || rng.NextDouble() < 0.5;
                end[i] = i == 0 || rng.NextDouble() < 0.5;
                for (var j = 0; j < numTags; j++) allowed[i, j] = i == 0 || j == 0 || rng.NextDouble() < 0.5;
            }
            allowed[1, 1] = false;   // at least one real restriction whatever the draw
            start[numTags - 1] = false;
            constraints = new CrfConstraints(allowed, start, end);
        }
        manual_seed(seed);
        var crf = new ConditionalRandomField(numTags, constraints);
        crf.to(ScalarType.Float64);
        using (no_grad())
        {
            // Larger scores than the default init, so transitions matter as much as emissions.
            crf.Transitions.normal_(0, 1);
            crf.StartTransitions.normal_(0, 1);
            crf.EndTransitions.normal_(0, 1);
        }
        const int maxLength = 5;
        var lengths = new long[] { 5, 1, 0, 3, 4, 2 };
        var emissions = randn(lengths.Length, maxLength, numTags, dtype: ScalarType.Float64).DetachFromDisposeScope();
        var mask = arange(maxLength).unsqueeze(0).lt(tensor(lengths).unsqueeze(1)).DetachFromDisposeScope();
        return (crf, emissions, mask, constraints);
    }

    private static double LogSumExp(IEnumerable<double> values)
    {
        var list = values.ToList();
        var max = list.Max();
        return max + Math.Log(list.Sum(v => Math.Exp(v - max)));
    }

    /// <summary>Plain-C# enumeration of tag paths and their scores.</summary>
    private sealed class BruteForce
    {
        private readonly double[] _emissions;
        private readonly double[] _start;
        private readonly double[] _end;
        private readonly double[] _transitions;
        private readonly long[] _lengths;
        private readonly int _maxLength;
        private readonly int _tags;
        private readonly CrfConstraints? _constraints;

        public BruteForce(ConditionalRandomField crf, Tensor emissions, Tensor mask, CrfConstraints? constraints)
        {
            _emissions = emissions.to(ScalarType.Float64).reshape(-1).data<double>().ToArray();
            _start = crf.StartTransitions.detach().to(ScalarType.Float64).data<double>().ToArray();
            _end = crf.EndTransitions.detach().to(ScalarType.Float64).data<double>().ToArray();
            _transitions = crf.Transitions.detach().to(ScalarType.Float64).reshape(-1).data<double>().ToArray();
            _lengths = mask.sum(1).data<long>().ToArray();
            _maxLength = (int)emissions.shape[1];
            _tags = crf.NumTags;
            _constraints = constraints;
        }

        public int Batch => _lengths.Length;

        public int Length(int b) => (int)_lengths[b];

        public IEnumerable<int[]> AllowedPaths(int b)
        {
            var n = Length(b);
            var total = (int)Math.Pow(_tags, n);
            for (var code = 0; code < total; code++)
            {
                var path = new int[n];
                var rest = code;
                for (var t = 0; t < n; t++) { path[t] = rest % _tags; rest /= _tags; }
                if (_constraints is null || _constraints.IsAllowed(path)) yield return path;
            }
        }

        public double PathScore(int b, int[] path)
        {
            var score = _start[path[0]] + _end[path[^1]];
            for (var t = 0; t < path.Length; t++)
            {
                score += _emissions[(b * _maxLength + t) * _tags + path[t]];
                if (t > 0) score += _transitions[path[t - 1] * _tags + path[t]];
            }
            return score;
        }
    }
}
