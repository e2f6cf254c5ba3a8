using System.Text;
using Acclimate.Errors;

namespace Acclimate.FineTuning;

/// <summary>
/// Which tag sequences a constrained CRF may produce, as plain data: <see cref="Allowed"/>[from, to]
/// for consecutive tags, <see cref="AllowedStart"/> for the first tag and <see cref="AllowedEnd"/>
/// for the last. A tagging scheme (BIO, BIOES, …) fills these from its transition table; the CRF
/// itself knows nothing of schemes.
/// </summary>
public sealed class CrfConstraints
{
    private readonly bool[,] _allowed;
    private readonly bool[] _start;
    private readonly bool[] _end;

    /// <summary>Copies the arrays (so later changes by the caller do not reach the CRF) and validates their sizes.</summary>
    public CrfConstraints(bool[,] allowed, bool[] allowedStart, bool[] allowedEnd)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        ArgumentNullException.ThrowIfNull(allowedStart);
        ArgumentNullException.ThrowIfNull(allowedEnd);
        var n = allowed.GetLength(0);
        if (n == 0 || allowed.GetLength(1) != n)
            throw new ConfigException($"CRF constraints: the transition table must be square [tags, tags] with at least one tag; got [{allowed.GetLength(0)}, {allowed.GetLength(1)}].");
        if (allowedStart.Length != n || allowedEnd.Length != n)
            throw new ConfigException($"CRF constraints: allowed-start has {allowedStart.Length} entries and allowed-end {allowedEnd.Length}; the transition table has {n} tags.");
        if (!allowedStart.Any(s => s))
            throw new ConfigException("CRF constraints: no tag may start a sequence, so no sequence can be decoded.");
        if (!allowedEnd.Any(e => e))
            throw new ConfigException("CRF constraints: no tag may end a sequence, so no sequence can be decoded.");
        _allowed = (bool[,])allowed.Clone();
        _start = (bool[])allowedStart.Clone();
        _end = (bool[])allowedEnd.Clone();
    }

    /// <summary>Number of tags.</summary>
    public int NumTags => _start.Length;

    /// <summary>Whether tag <paramref name="to"/> may directly follow tag <paramref name="from"/>.</summary>
    public bool Allowed(int from, int to) => _allowed[from, to];

    /// <summary>Whether a sequence may start with tag <paramref name="tag"/>.</summary>
    public bool AllowedStart(int tag) => _start[tag];

    /// <summary>Whether a sequence may end with tag <paramref name="tag"/>.</summary>
    public bool AllowedEnd(int tag) => _end[tag];

    /// <summary>A copy of the allowed-start flags.</summary>
    public bool[] StartFlags() => (bool[])_start.Clone();

    /// <summary>A copy of the allowed-end flags.</summary>
    public bool[] EndFlags() => (bool[])_end.Clone();

    /// <summary>Whether the tag path obeys every constraint (an empty path is always allowed).</summary>
    public bool IsAllowed(IReadOnlyList<int> path) => FirstViolation(path) is null;

    /// <summary>
    /// A description of the first place where <paramref name="path"/> breaks a constraint, or null
    /// when it breaks none. <paramref name="tagNames"/> (optional) makes the message readable.
    /// </summary>
    public string? FirstViolation(IReadOnlyList<int> path, IReadOnlyList<string>? tagNames = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Count == 0) return null;
        string Name(int tag) => tagNames is not null && tag >= 0 && tag < tagNames.Count ? $"{tagNames[tag]} ({tag})" : tag.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var tag in path)
            if (tag < 0 || tag >= NumTags) return $"tag {tag} is not in 0..{NumTags - 1}";
        if (!_start[path[0]]) return $"position 0: tag {Name(path[0])} may not start a sequence";
        for (var t = 1; t < path.Count; t++)
            if (!_allowed[path[t - 1], path[t]]) return $"position {t}: tag {Name(path[t])} may not follow {Name(path[t - 1])}";
        if (!_end[path[^1]]) return $"position {path.Count - 1}: tag {Name(path[^1])} may not end a sequence";
        return null;
    }

    /// <summary>A compact text form (rows of 0/1), for messages and debugging.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("start ").AppendJoin("", _start.Select(b => b ? '1' : '0')).Append("; end ").AppendJoin("", _end.Select(b => b ? '1' : '0'));
        for (var i = 0; i < NumTags; i++)
        {
            text.Append("; ").Append(i).Append("→");
            for (var j = 0; j < NumTags; j++) text.Append(_allowed[i, j] ? '1' : '0');
        }
        return text.ToString();
    }
}
