using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.FineTuning;

/// <summary>
/// The CRF's best-path decoder in plain C#, for running a tagger exported to ONNX without libtorch:
/// feed it the word-level emissions (the ONNX emissions at each word's first subword) and it returns
/// the label ids <see cref="SequenceLabeler"/>'s own CRF decode returns. It computes as the torch
/// decoder does, in float32: disallowed starts, ends and transitions are −∞, the running score is
/// start + emission₀, then max over the previous tag of score + transition, plus the emission; the
/// first maximum wins a tie. The weights travel as a small JSON (<see cref="Save"/>, <see cref="Load"/>).
/// </summary>
public sealed class CrfViterbiDecoder
{
    /// <summary>The JSON's <c>format</c> value.</summary>
    public const string Format = "acclimate-crf/1";

    private readonly float[] _start;
    private readonly float[] _end;
    private readonly float[,] _transitions;

    /// <summary>A decoder over <paramref name="labels"/> with the given scores; <paramref name="constraints"/> (null = none) block starts, ends and transitions.</summary>
    /// <param name="labels">Label names by id.</param>
    /// <param name="transitions">[from, to] transition scores.</param>
    /// <param name="start">Start scores per tag.</param>
    /// <param name="end">End scores per tag.</param>
    /// <param name="constraints">Allowed starts, ends and transitions, or null.</param>
    public CrfViterbiDecoder(IReadOnlyList<string> labels, float[,] transitions, float[] start, float[] end, CrfConstraints? constraints)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(transitions);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        var n = labels.Count;
        if (n == 0 || transitions.GetLength(0) != n || transitions.GetLength(1) != n || start.Length != n || end.Length != n)
            throw new ConfigException($"CRF decoder: {n} labels need [{n}, {n}] transitions and {n} start and end scores; got [{transitions.GetLength(0)}, {transitions.GetLength(1)}], {start.Length} and {end.Length}.");
        if (constraints is not null && constraints.NumTags != n)
            throw new ConfigException($"CRF decoder: the constraints describe {constraints.NumTags} tags but there are {n} labels.");
        Labels = labels.ToArray();
        Constraints = constraints;
        _transitions = new float[n, n];
        _start = new float[n];
        _end = new float[n];
        for (var i = 0; i < n; i++)
        {
            _start[i] = constraints is null || constraints.AllowedStart(i) ? start[i] : float.NegativeInfinity;
            _end[i] = constraints is null || constraints.AllowedEnd(i) ? end[i] : float.NegativeInfinity;
            for (var j = 0; j < n; j++)
                _transitions[i, j] = constraints is null || constraints.Allowed(i, j) ? transitions[i, j] : float.NegativeInfinity;
        }
        RawTransitions = (float[,])transitions.Clone();
        RawStart = (float[])start.Clone();
        RawEnd = (float[])end.Clone();
    }

    /// <summary>Label names by id.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The constraints, or null.</summary>
    public CrfConstraints? Constraints { get; }

    private float[,] RawTransitions { get; }
    private float[] RawStart { get; }
    private float[] RawEnd { get; }

    /// <summary>
    /// The CRF's posterior over one sentence's word emissions [words, labels] (forward–backward in plain
    /// C#, see <see cref="CrfPosterior"/>), from the same scores and constraints this decoder uses: the
    /// per-entity confidence <c>acclimate predict</c> reports, without libtorch.
    /// </summary>
    public CrfPosterior Posterior(float[,] emissions) => CrfPosterior.Compute(emissions, RawTransitions, RawStart, RawEnd, Constraints);

    /// <summary>The best label ids for <paramref name="length"/> words whose emissions are rows of <paramref name="emissions"/> ([length, labels], row-major).</summary>
    public int[] Decode(ReadOnlySpan<float> emissions, int length)
    {
        var n = Labels.Count;
        if (length < 0 || emissions.Length < length * n)
            throw new DataException($"CRF decoder: {length} words of {n} labels need {length * n} emission values; got {emissions.Length}.");
        if (length == 0) return Array.Empty<int>();
        var score = new float[n];
        var next = new float[n];
        var back = new int[length, n];
        for (var j = 0; j < n; j++) score[j] = _start[j] + emissions[j];
        for (var t = 1; t < length; t++)
        {
            for (var to = 0; to < n; to++)
            {
                var best = score[0] + _transitions[0, to];
                var from = 0;
                for (var i = 1; i < n; i++)
                {
                    var candidate = score[i] + _transitions[i, to];
                    if (candidate > best) { best = candidate; from = i; }
                }
                back[t, to] = from;
                next[to] = best + emissions[t * n + to];
            }
            (score, next) = (next, score);
        }
        var last = 0;
        var top = score[0] + _end[0];
        for (var j = 1; j < n; j++)
            if (score[j] + _end[j] > top) { top = score[j] + _end[j]; last = j; }
        if (float.IsNegativeInfinity(top))
            throw new ConfigException($"CRF constraints allow no tag path of length {length}: {Constraints}.");
        var path = new int[length];
        path[length - 1] = last;
        for (var t = length - 1; t >= 1; t--) path[t - 1] = back[t, path[t]];
        return path;
    }

    /// <summary>The label names of <see cref="Decode"/>'s path.</summary>
    public string[] DecodeLabels(ReadOnlySpan<float> emissions, int length) => Decode(emissions, length).Select(i => Labels[i]).ToArray();

    /// <summary>The decoder as JSON: labels, start/end/transition scores (unconstrained) and the constraints (null when none).</summary>
    public string ToJson()
    {
        var n = Labels.Count;
        JsonArray Row(IEnumerable<float> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
        JsonArray Flags(IEnumerable<bool> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
        var root = new JsonObject
        {
            ["format"] = Format,
            ["labels"] = new JsonArray(Labels.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()),
            ["start_transitions"] = Row(RawStart),
            ["end_transitions"] = Row(RawEnd),
            ["transitions"] = new JsonArray(Enumerable.Range(0, n).Select(i => (JsonNode)Row(Enumerable.Range(0, n).Select(j => RawTransitions[i, j]))).ToArray()),
            ["constraints"] = Constraints is null ? null : new JsonObject
            {
                ["allowed_start"] = Flags(Constraints.StartFlags()),
                ["allowed_end"] = Flags(Constraints.EndFlags()),
                ["allowed_transitions"] = new JsonArray(Enumerable.Range(0, n).Select(i => (JsonNode)Flags(Enumerable.Range(0, n).Select(j => Constraints.Allowed(i, j)))).ToArray()),
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>Reads a decoder saved by <see cref="Save"/>; errors name the file and the field.</summary>
    public static CrfViterbiDecoder Load(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: CRF file not found.");
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new DataException($"{path}: expected a JSON object."); }
        catch (JsonException e) { throw new DataException($"{path}: not valid JSON ({e.Message}).", e); }
        if (root["format"]?.GetValue<string>() != Format) throw new DataException($"{path}: 'format' must be '{Format}'.");
        T[] Array<T>(JsonNode? node, string field) =>
            node is JsonArray a ? a.Select(v => v is null ? throw new DataException($"{path}: '{field}' holds a null.") : v.GetValue<T>()).ToArray()
                                : throw new DataException($"{path}: '{field}' must be an array.");
        try
        {
            var labels = Array<string>(root["labels"], "labels");
            var n = labels.Length;
            T[,] Matrix<T>(JsonNode? node, string field)
            {
                var rows = node is JsonArray a ? a : throw new DataException($"{path}: '{field}' must be an array of arrays.");
                if (rows.Count != n) throw new DataException($"{path}: '{field}' has {rows.Count} rows; expected {n} (one per label).");
                var m = new T[n, n];
                for (var i = 0; i < n; i++)
                {
                    var row = Array<T>(rows[i], field);
                    if (row.Length != n) throw new DataException($"{path}: '{field}' row {i} has {row.Length} values; expected {n}.");
                    for (var j = 0; j < n; j++) m[i, j] = row[j];
                }
                return m;
            }
            CrfConstraints? constraints = null;
            if (root["constraints"] is JsonObject c)
                constraints = new CrfConstraints(Matrix<bool>(c["allowed_transitions"], "constraints.allowed_transitions"),
                    Array<bool>(c["allowed_start"], "constraints.allowed_start"), Array<bool>(c["allowed_end"], "constraints.allowed_end"));
            return new CrfViterbiDecoder(labels, Matrix<float>(root["transitions"], "transitions"),
                Array<float>(root["start_transitions"], "start_transitions"), Array<float>(root["end_transitions"], "end_transitions"), constraints);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new DataException($"{path}: a field has the wrong type ({e.Message}).", e);
        }
        catch (ConfigException e)
        {
            throw new DataException($"{path}: {e.Message}", e);
        }
    }
}
