using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// A linear-chain conditional random field over batch-first emissions [batch, length, tags].
/// Parameters (state-dict names): <c>start_transitions</c> [T], <c>end_transitions</c> [T] and
/// <c>transitions</c> [T, T] indexed [from, to]. A mask [batch, length] marks the real positions;
/// each row's real positions must form a prefix (right padding), and a row may be empty.
/// </summary>
/// <remarks>
/// With <see cref="CrfConstraints"/>, disallowed starts, ends and transitions are excluded in
/// training and in decoding. Decoding uses −∞, so Viterbi can never return a disallowed path.
/// Training uses <see cref="TrainingPenalty"/> (−10000) instead: when some tag cannot be reached
/// at a step (every predecessor disallowed), a log-sum-exp over −∞ alone is −∞ and its gradient
/// is NaN (exp(−∞ − (−∞))), which would poison every parameter. −10000 keeps the arithmetic
/// finite, while exp(−10000) underflows to exactly 0 in float32 and float64, so disallowed paths
/// add nothing to the partition function unless scores differ by thousands of nats. The masked
/// entries are overwritten (masked_fill), not added to, so their learned values never matter.
/// </remarks>
internal sealed class ConditionalRandomField : ExplicitModule
{
    /// <summary>Score given to disallowed starts, ends and transitions in training (see remarks).</summary>
    public const double TrainingPenalty = -10000.0;

    private readonly Parameter start_transitions;
    private readonly Parameter end_transitions;
    private readonly Parameter transitions;
    // Non-persistent buffers: they follow the module across devices but stay out of the state
    // dict, because the constraints are configuration (saved in the head's JSON), not weights.
    // Read from the buffer registry on every use: a device move registers moved copies and disposes these.
    private Tensor? _blockedStart => Constraints is null ? null : get_buffer("blocked_start");
    private Tensor? _blockedEnd => Constraints is null ? null : get_buffer("blocked_end");
    private Tensor? _blockedTransitions => Constraints is null ? null : get_buffer("blocked_transitions");

    /// <param name="numTags">Number of tags T.</param>
    /// <param name="constraints">Allowed transitions, starts and ends; null = unconstrained.</param>
    public ConditionalRandomField(int numTags, CrfConstraints? constraints = null) : base(nameof(ConditionalRandomField))
    {
        if (numTags <= 0) throw new ConfigException($"CRF: the number of tags must be positive, got {numTags}.");
        if (constraints is not null && constraints.NumTags != numTags)
            throw new ConfigException($"CRF: the constraints describe {constraints.NumTags} tags but the CRF has {numTags}.");
        NumTags = numTags;
        Constraints = constraints;
        start_transitions = new Parameter(zeros(numTags));
        end_transitions = new Parameter(zeros(numTags));
        transitions = new Parameter(zeros(numTags, numTags));
        register_parameter(nameof(start_transitions), start_transitions);
        register_parameter(nameof(end_transitions), end_transitions);
        register_parameter(nameof(transitions), transitions);
        if (constraints is not null)
        {
            var blocked = new bool[numTags * numTags];
            for (var i = 0; i < numTags; i++)
                for (var j = 0; j < numTags; j++)
                    blocked[i * numTags + j] = !constraints.Allowed(i, j);
            register_buffer("blocked_transitions", tensor(blocked).reshape(numTags, numTags), persistent: false);
            register_buffer("blocked_start", tensor(constraints.StartFlags().Select(a => !a).ToArray()), persistent: false);
            register_buffer("blocked_end", tensor(constraints.EndFlags().Select(a => !a).ToArray()), persistent: false);
        }
        ResetParameters();
    }

    public int NumTags { get; }

    /// <summary>The constraints this CRF applies, or null when unconstrained.</summary>
    public CrfConstraints? Constraints { get; }

    /// <summary>The learned parameters, for inspection and for optimizer groups (e.g. a larger CRF learning rate).</summary>
    public Parameter StartTransitions => start_transitions;
    public Parameter EndTransitions => end_transitions;
    public Parameter Transitions => transitions;

    /// <summary>Uniform(−0.1, 0.1), as pytorch-crf: small random scores break the symmetry between tags.</summary>
    public void ResetParameters()
    {
        using var _ = no_grad();
        start_transitions.uniform_(-0.1, 0.1);
        end_transitions.uniform_(-0.1, 0.1);
        transitions.uniform_(-0.1, 0.1);
    }

    /// <summary>
    /// log Z for each sequence: the log-sum-exp of the scores of every (allowed) tag path, computed
    /// by the forward algorithm in log space, vectorized over batch and tags. Empty rows give 0.
    /// </summary>
    /// <param name="emissions">[batch, length, tags] scores.</param>
    /// <param name="mask">[batch, length] bool or 0/1; true for real positions, a prefix of each row.</param>
    /// <returns>[batch] log partition.</returns>
    public Tensor LogPartition(Tensor emissions, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var (realMask, lengths) = Validate(emissions, mask, null);
        var batch = emissions.shape[0];
        var length = emissions.shape[1];
        if (length == 0) return EmptyResult(emissions);
        var (start, trans, end) = Scores(TrainingPenalty);
        var emit = CleanEmissions(emissions, realMask);
        var transitionsFromTo = trans.unsqueeze(0);
        var alpha = start.unsqueeze(0) + emit.select(1, 0);
        for (var t = 1; t < length; t++)
        {
            using var step = NewDisposeScope();
            // alpha[b, from] + transitions[from, to], summed over from in log space, then the emission at t.
            var next = (alpha.unsqueeze(2) + transitionsFromTo).logsumexp(1) + emit.select(1, t);
            alpha = where(realMask.select(1, t).unsqueeze(1), next, alpha).MoveToOuterDisposeScope();
        }
        var logZ = (alpha + end.unsqueeze(0)).logsumexp(1);
        return where(lengths.gt(0), logZ, zeros_like(logZ)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The score of the given tag paths: start + emissions + transitions + end over each row's real
    /// positions (with the training penalty on disallowed steps). Empty rows give 0.
    /// </summary>
    /// <param name="tags">[batch, length] int64 tag ids; values at masked positions are ignored (e.g. -100).</param>
    /// <returns>[batch] path scores.</returns>
    public Tensor Score(Tensor emissions, Tensor tags, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var (realMask, lengths) = Validate(emissions, mask, tags);
        var batch = emissions.shape[0];
        var length = emissions.shape[1];
        if (length == 0) return EmptyResult(emissions);
        var (start, trans, end) = Scores(TrainingPenalty);
        var emit = CleanEmissions(emissions, realMask);
        var safeTags = tags.masked_fill(realMask.logical_not(), 0);
        var nonEmpty = lengths.gt(0);

        var emitted = emit.gather(2, safeTags.unsqueeze(2)).squeeze(2).masked_fill(realMask.logical_not(), 0).sum(1);
        var first = start.index_select(0, safeTags.select(1, 0));
        var lastIndex = (lengths - 1).clamp_min(0).unsqueeze(1);
        var last = end.index_select(0, safeTags.gather(1, lastIndex).squeeze(1));
        var total = emitted + where(nonEmpty, first + last, zeros_like(first));
        if (length > 1)
        {
            // transitions[from, to] read through the flat index from * T + to, one gather for all steps.
            var pairs = safeTags.narrow(1, 0, length - 1) * NumTags + safeTags.narrow(1, 1, length - 1);
            var stepScores = trans.reshape(-1).index_select(0, pairs.reshape(-1)).reshape(batch, length - 1);
            total = total + stepScores.masked_fill(realMask.narrow(1, 1, length - 1).logical_not(), 0).sum(1);
        }
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// −log p(tags | emissions) = log Z − score(tags), reduced as asked. With constraints, a gold
    /// path that breaks them is a data error (wrong tagging scheme, or an entity cut by truncation
    /// or a window) and throws <see cref="DataException"/> naming the row and position, rather than
    /// training on a loss of about 10000.
    /// </summary>
    public Tensor NegativeLogLikelihood(Tensor emissions, Tensor tags, Tensor mask, CrfReduction reduction = CrfReduction.Mean)
    {
        using var scope = NewDisposeScope();
        if (Constraints is not null) ThrowOnViolation(tags, mask);
        var perSequence = LogPartition(emissions, mask) - Score(emissions, tags, mask);
        var realMask = AsBool(mask);
        Tensor result = reduction switch
        {
            CrfReduction.None => perSequence,
            CrfReduction.Sum => perSequence.sum(),
            CrfReduction.Mean => perSequence.sum() / realMask.any(1).sum().clamp_min(1).to(perSequence.dtype),
            CrfReduction.TokenMean => perSequence.sum() / realMask.sum().clamp_min(1).to(perSequence.dtype),
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, null),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Per-position tag marginals p(yₜ = k | row) for a whole batch: the gradient of Σ log Z with
    /// respect to the emissions (forward–backward by autograd; each row's log Z depends on its own
    /// emissions only, so one backward gives every row's marginals). [batch, length, tags] in the
    /// emissions' dtype, rows of real positions summing to 1, padded positions 0. Disallowed steps
    /// carry the training penalty, so illegal paths get ~0 mass. No gradient flows to the inputs.
    /// </summary>
    public Tensor Marginals(Tensor emissions, Tensor mask)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var leaf = emissions.detach().requires_grad_(true);
        var logZ = LogPartition(leaf, mask).sum();
        if (!logZ.requires_grad) return zeros_like(emissions).MoveToOuterDisposeScope();   // no real position at all
        var marginals = autograd.grad(new[] { logZ }, new[] { leaf })[0];
        return marginals.detach().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The highest-scoring tag path of each row (Viterbi), vectorized over batch and tags, with the
    /// back-pointers followed on the emissions' device too: the host receives only the finished
    /// paths, their scores and lengths, in one transfer each. With constraints, disallowed steps
    /// score −∞, so the paths returned always obey them.
    /// </summary>
    public ViterbiResult Decode(Tensor emissions, Tensor mask)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var (realMask, lengths) = Validate(emissions, mask, null);
        var batch = (int)emissions.shape[0];
        var length = (int)emissions.shape[1];
        if (length == 0) return new ViterbiResult(Enumerable.Range(0, batch).Select(_ => Array.Empty<int>()).ToArray(), new double[batch]);
        var (finalScore, tagPaths) = BestPaths(emissions, realMask, lengths);

        var lengthValues = TensorData.ToArray<long>(lengths);
        var scores = TensorData.ToArray<double>(finalScore.to(ScalarType.Float64));
        var flatPaths = TensorData.ToArray<long>(tagPaths);
        var paths = new int[batch][];
        for (var b = 0; b < batch; b++)
        {
            var n = (int)lengthValues[b];
            paths[b] = new int[n];
            if (n == 0) { scores[b] = 0; continue; }
            if (double.IsNegativeInfinity(scores[b]))
                throw new ConfigException($"CRF constraints allow no tag path of length {n} (row {b}); check the allowed starts, ends and transitions: {Constraints}.");
            for (var t = 0; t < n; t++) paths[b][t] = (int)flatPaths[(long)b * length + t];
        }
        return new ViterbiResult(paths, scores);
    }

    /// <summary>
    /// The Viterbi recursion and its backtrack as tensor operations: the best final score [batch]
    /// and the best tag at every position [batch, length] (positions past a row's length hold that
    /// row's last tag and mean nothing).
    /// </summary>
    private (Tensor FinalScore, Tensor Paths) BestPaths(Tensor emissions, Tensor realMask, Tensor lengths)
    {
        var length = (int)emissions.shape[1];
        var (start, trans, end) = Scores(double.NegativeInfinity);
        var emit = CleanEmissions(emissions, realMask);
        var transitionsFromTo = trans.unsqueeze(0);
        var score = start.unsqueeze(0) + emit.select(1, 0);
        var backPointers = new Tensor[length];
        for (var t = 1; t < length; t++)
        {
            // Only the back-pointers and the running score outlive a step.
            using var step = NewDisposeScope();
            var (best, from) = (score.unsqueeze(2) + transitionsFromTo).max(1);
            backPointers[t] = from.MoveToOuterDisposeScope();
            score = where(realMask.select(1, t).unsqueeze(1), best + emit.select(1, t), score).MoveToOuterDisposeScope();
        }
        var (finalScore, lastTag) = (score + end.unsqueeze(0)).max(1);

        // Walking back from the end: at step t a row still inside its length (t < n) moves to the
        // predecessor its pointer names; a row already past its end keeps its last tag, so the
        // walk enters each row at position n − 1 with that row's best final tag.
        var columns = new Tensor[length];
        var current = lastTag.unsqueeze(1);
        columns[length - 1] = current;
        for (var t = length - 1; t >= 1; t--)
        {
            var previous = backPointers[t].gather(1, current);
            current = where(lengths.gt(t).unsqueeze(1), previous, current);
            columns[t - 1] = current;
        }
        return (finalScore, cat(columns, 1));
    }

    /// <summary>
    /// The first place where a gold path breaks the constraints, as "row r: …", or null. Lets data
    /// pipelines check a dataset once before training. Null when the CRF is unconstrained.
    /// </summary>
    public string? FindViolation(Tensor tags, Tensor mask)
    {
        if (Constraints is null) return null;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var realMask = AsBool(mask).cpu();
        var tagValues = tags.to(ScalarType.Int64).cpu();
        var rows = (int)tagValues.shape[0];
        var cols = (int)tagValues.shape[1];
        var flatTags = TensorData.ToArray<long>(tagValues);
        var flatMask = TensorData.ToArray<bool>(realMask);
        for (var r = 0; r < rows; r++)
        {
            var path = new List<int>();
            for (var c = 0; c < cols && flatMask[r * cols + c]; c++) path.Add((int)flatTags[r * cols + c]);
            if (Constraints.FirstViolation(path) is string problem) return $"row {r}: {problem}";
        }
        return null;
    }

    private void ThrowOnViolation(Tensor tags, Tensor mask)
    {
        // Cheap vectorized screen first; the readable message is built on the CPU only on failure.
        if (tags.dim() != 2 || tags.shape[1] == 0) return;   // shapes are checked with the emissions; no positions, no violation
        if (!TensorChecks.ShouldRun(tags)) return;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var realMask = AsBool(mask);
        var safeTags = tags.masked_fill(realMask.logical_not(), 0).clamp(0, NumTags - 1);
        var lengths = realMask.sum(1);
        var nonEmpty = lengths.gt(0);
        var bad = _blockedStart!.index_select(0, safeTags.select(1, 0)).logical_and(nonEmpty).any();
        var last = safeTags.gather(1, (lengths - 1).clamp_min(0).unsqueeze(1)).squeeze(1);
        bad = bad.logical_or(_blockedEnd!.index_select(0, last).logical_and(nonEmpty).any());
        var length = tags.shape[1];
        if (length > 1)
        {
            var pairs = safeTags.narrow(1, 0, length - 1) * NumTags + safeTags.narrow(1, 1, length - 1);
            var blocked = _blockedTransitions!.reshape(-1).index_select(0, pairs.reshape(-1)).reshape(pairs.shape);
            bad = bad.logical_or(blocked.logical_and(realMask.narrow(1, 1, length - 1)).any());
        }
        if (bad.item<bool>())
            throw new DataException($"CRF: a gold tag path breaks the tagging constraints ({FindViolation(tags, mask)}). " +
                                    "Likely causes: labels in another tagging scheme than the constraints, or an entity cut by truncation or a window boundary.");
    }

    /// <summary>Start, transition and end scores with disallowed entries replaced by <paramref name="blockedValue"/>.</summary>
    private (Tensor Start, Tensor Transitions, Tensor End) Scores(double blockedValue)
    {
        if (_blockedTransitions is null) return (start_transitions.alias(), transitions.alias(), end_transitions.alias());
        return (start_transitions.masked_fill(_blockedStart!, blockedValue),
                transitions.masked_fill(_blockedTransitions, blockedValue),
                end_transitions.masked_fill(_blockedEnd!, blockedValue));
    }

    // Padded positions may hold anything (even inf from a masked head); zeroing them keeps both the
    // values and the gradients of the real positions finite and exact.
    private static Tensor CleanEmissions(Tensor emissions, Tensor realMask) =>
        emissions.masked_fill(realMask.logical_not().unsqueeze(2), 0);

    // Zeros that stay attached to the graph (a sum over zero positions), so a batch without any
    // label-bearing word still yields a loss that backward() accepts.
    private Tensor EmptyResult(Tensor emissions) =>
        emissions.sum(new long[] { 1, 2 }).to(ResultType(emissions)).MoveToOuterDisposeScope();

    private ScalarType ResultType(Tensor emissions) =>
        promote_types(emissions.dtype, transitions.dtype);

    private static Tensor AsBool(Tensor mask) => mask.dtype == ScalarType.Bool ? mask.alias() : mask.ne(0);

    private (Tensor RealMask, Tensor Lengths) Validate(Tensor emissions, Tensor mask, Tensor? tags)
    {
        if (emissions.dim() != 3 || emissions.shape[2] != NumTags)
            throw new DataException($"CRF: emissions must be [batch, length, {NumTags}]; got [{string.Join(", ", emissions.shape)}].");
        if (!emissions.is_floating_point())
            throw new DataException($"CRF: emissions must be floating point; got {emissions.dtype}.");
        if (mask.dim() != 2 || mask.shape[0] != emissions.shape[0] || mask.shape[1] != emissions.shape[1])
            throw new DataException($"CRF: mask must be [{emissions.shape[0]}, {emissions.shape[1]}]; got [{string.Join(", ", mask.shape)}].");
        var realMask = AsBool(mask);
        var lengths = realMask.sum(1);
        var length = emissions.shape[1];
        if (length > 0 && TensorChecks.ShouldRun(mask))
        {
            // Right padding only: every row's real positions must be a prefix.
            var prefix = arange(length, device: mask.device).unsqueeze(0).lt(lengths.unsqueeze(1));
            if (!prefix.eq(realMask).all().item<bool>())
                throw new DataException("CRF: each mask row must be ones followed by zeros (right padding); found a gap or left padding.");
        }
        if (tags is not null)
        {
            if (!tags.shape.SequenceEqual(mask.shape))
                throw new DataException($"CRF: tags must be [{emissions.shape[0]}, {emissions.shape[1]}]; got [{string.Join(", ", tags.shape)}].");
            if (tags.dtype != ScalarType.Int64)
                throw new DataException($"CRF: tags must be int64; got {tags.dtype}.");
            if (length > 0 && TensorChecks.ShouldRun(tags) && realMask.any().item<bool>())
            {
                var real = tags.masked_select(realMask);
                var (min, max) = (real.min().item<long>(), real.max().item<long>());
                if (min < 0 || max >= NumTags)
                    throw new DataException($"CRF: tags at real positions must be in 0..{NumTags - 1}; found values in [{min}, {max}].");
            }
        }
        return (realMask, lengths);
    }
}
