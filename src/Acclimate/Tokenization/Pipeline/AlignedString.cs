using System.Text;
using Acclimate.Tokenization.Unicode;

namespace Acclimate.Tokenization.Pipeline;

/// <summary>
/// A piece of the caller's text being normalized, where every normalized code point remembers the
/// span of original UTF-16 code units it came from. It reproduces HuggingFace's NormalizedString
/// alignment rules step by step (replaced characters keep their own span, inserted characters take
/// the span of the character before them), which is what makes offsets equal to HF's after NFKD,
/// accent stripping, CJK padding or byte-level mapping.
/// </summary>
internal sealed class AlignedString
{
    private readonly List<int> _chars;
    private readonly List<(int Start, int End)> _align;

    private AlignedString(List<int> chars, List<(int Start, int End)> align, int originalStart)
    {
        _chars = chars;
        _align = align;
        OriginalStart = originalStart;
    }

    /// <summary>Where this piece starts in the caller's string (HF's original_shift).</summary>
    public int OriginalStart { get; }

    /// <summary>Number of normalized code points.</summary>
    public int Length => _chars.Count;

    public int this[int index] => _chars[index];

    /// <summary>Wraps <paramref name="text"/>[start..end) unchanged. Lone surrogates become U+FFFD, as a Rust string would hold them.</summary>
    public static AlignedString FromOriginal(string text, int start, int end)
    {
        var chars = new List<int>(end - start);
        var align = new List<(int, int)>(end - start);
        int i = start;
        while (i < end)
        {
            int width = 1;
            int cp = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < end && char.IsLowSurrogate(text[i + 1]))
            {
                cp = char.ConvertToUtf32(text[i], text[i + 1]);
                width = 2;
            }
            else if (char.IsSurrogate(text[i]))
            {
                cp = 0xFFFD;
            }
            chars.Add(cp);
            align.Add((i, i + width));
            i += width;
        }
        return new AlignedString(chars, align, start);
    }

    /// <summary>The original UTF-16 span covered by normalized code points [start, end).</summary>
    public (int Start, int End) OriginalSpan(int start, int end) => (_align[start].Start, _align[end - 1].End);

    /// <summary>The normalized text, plus for every UTF-16 index of it (and its end) the code point index.</summary>
    public string ToText(out int[] utf16ToIndex)
    {
        var sb = new StringBuilder(_chars.Count + 4);
        var map = new List<int>(_chars.Count + 4);
        for (int i = 0; i < _chars.Count; i++)
        {
            int cp = _chars[i];
            if (cp >= 0x10000)
            {
                sb.Append(char.ConvertFromUtf32(cp));
                map.Add(i);
                map.Add(i);
            }
            else
            {
                sb.Append((char)cp);
                map.Add(i);
            }
        }
        map.Add(_chars.Count);
        utf16ToIndex = map.ToArray();
        return sb.ToString();
    }

    public override string ToString() => ToText(out _);

    /// <summary>
    /// Replaces normalized code points [start, end) by <paramref name="dest"/>, HF's transform_range: a change
    /// of 0 replaces the next old character, 1 inserts a character, -N replaces and then drops N old ones;
    /// <paramref name="initialOffset"/> old characters are dropped before the first one.
    /// </summary>
    public void TransformRange(int start, int end, IReadOnlyList<(int Cp, int Change)> dest, int initialOffset)
    {
        int oldPos = start + initialOffset;
        var newChars = new List<int>(dest.Count);
        var newAlign = new List<(int, int)>(dest.Count);
        int last = _align.Count - 1;
        foreach (var (cp, change) in dest)
        {
            (int, int) span;
            if (change > 0)
            {
                // An inserted character shares the span of the old character just before the cursor.
                span = oldPos < 1 ? (OriginalStart, OriginalStart) : _align[Math.Min(oldPos - 1, last)];
            }
            else
            {
                span = _align[Math.Min(oldPos, last)];
                oldPos += 1 - change;
            }
            newChars.Add(cp);
            newAlign.Add(span);
        }
        _chars.RemoveRange(start, end - start);
        _chars.InsertRange(start, newChars);
        _align.RemoveRange(start, end - start);
        _align.InsertRange(start, newAlign);
    }

    /// <summary>Transforms the whole string.</summary>
    public void Transform(IReadOnlyList<(int Cp, int Change)> dest, int initialOffset) =>
        TransformRange(0, _chars.Count, dest, initialOffset);

    /// <summary>Keeps the code points for which <paramref name="keep"/> is true.</summary>
    public void Filter(Func<int, bool> keep)
    {
        int n = _chars.Count;
        int i = 0;
        int leading = 0;
        while (i < n && !keep(_chars[i]))
        {
            leading++;
            i++;
        }
        if (leading == 0 && AllKept(i, keep))
        {
            return;
        }
        var dest = new List<(int, int)>(n);
        while (i < n)
        {
            int cp = _chars[i++];
            int removed = 0;
            while (i < n && !keep(_chars[i]))
            {
                removed++;
                i++;
            }
            dest.Add((cp, -removed));
        }
        Transform(dest, leading);
    }

    private bool AllKept(int from, Func<int, bool> keep)
    {
        for (int i = from; i < _chars.Count; i++)
        {
            if (!keep(_chars[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Maps every code point to one code point (alignment unchanged).</summary>
    public void Map(Func<int, int> map)
    {
        for (int i = 0; i < _chars.Count; i++)
        {
            _chars[i] = map(_chars[i]);
        }
    }

    /// <summary>Replaces every code point by zero or more code points: the first replaces it, the rest are inserted.</summary>
    public void Expand(Func<int, int[]?> expansion)
    {
        List<(int, int)>? dest = null;
        for (int i = 0; i < _chars.Count; i++)
        {
            var e = expansion(_chars[i]);
            if (e is null)
            {
                dest?.Add((_chars[i], 0));
                continue;
            }
            if (dest is null)
            {
                dest = new List<(int, int)>(_chars.Count + 8);
                for (int j = 0; j < i; j++)
                {
                    dest.Add((_chars[j], 0));
                }
            }
            for (int k = 0; k < e.Length; k++)
            {
                dest.Add((e[k], k == 0 ? 0 : 1));
            }
        }
        if (dest is not null)
        {
            Transform(dest, 0);
        }
    }

    /// <summary>Per-character full lowercase, as Rust's <c>char::to_lowercase</c>.</summary>
    public void Lowercase() => Expand(UnicodeTables.Lowercase);

    /// <summary>NFD (<paramref name="compatibility"/> false) or NFKD, with canonical reordering of combining marks.</summary>
    public void Decompose(bool compatibility)
    {
        var dest = new List<(int Cp, int Change)>(_chars.Count + 8);
        bool changed = false;
        foreach (int cp in _chars)
        {
            var d = compatibility ? UnicodeTables.CompatibilityDecomposition(cp) : UnicodeTables.CanonicalDecomposition(cp);
            if (d is null)
            {
                dest.Add((cp, 0));
                continue;
            }
            changed = true;
            for (int k = 0; k < d.Length; k++)
            {
                dest.Add((d[k], k == 0 ? 0 : 1));
            }
        }
        changed |= ReorderCombiningMarks(dest);
        if (changed)
        {
            Transform(dest, 0);
        }
    }

    /// <summary>Stable sort of every run of non-starters by combining class; change flags travel with their characters.</summary>
    private static bool ReorderCombiningMarks(List<(int Cp, int Change)> seq)
    {
        bool reordered = false;
        int i = 0;
        while (i < seq.Count)
        {
            if (UnicodeTables.CombiningClass(seq[i].Cp) == 0)
            {
                i++;
                continue;
            }
            int runStart = i;
            while (i < seq.Count && UnicodeTables.CombiningClass(seq[i].Cp) != 0)
            {
                i++;
            }
            if (i - runStart < 2)
            {
                continue;
            }
            var run = seq.GetRange(runStart, i - runStart);
            var sorted = run.Select((e, idx) => (e, idx)).OrderBy(p => UnicodeTables.CombiningClass(p.e.Cp)).ThenBy(p => p.idx)
                .Select(p => p.e).ToList();
            for (int k = 0; k < sorted.Count; k++)
            {
                if (sorted[k] != run[k])
                {
                    reordered = true;
                }
                seq[runStart + k] = sorted[k];
            }
        }
        return reordered;
    }

    /// <summary>Replaces every non-overlapping occurrence of <paramref name="pattern"/>, left to right (HF's Replace with a string pattern).</summary>
    public void Replace(int[] pattern, int[] content)
    {
        if (pattern.Length == 0)
        {
            return;
        }
        int i = 0;
        while (i + pattern.Length <= _chars.Count)
        {
            if (MatchesAt(i, pattern))
            {
                var dest = content.Select(c => (c, 1)).ToList();
                TransformRange(i, i + pattern.Length, dest, pattern.Length);
                i += content.Length;
            }
            else
            {
                i++;
            }
        }
    }

    private bool MatchesAt(int i, int[] pattern)
    {
        for (int k = 0; k < pattern.Length; k++)
        {
            if (_chars[i + k] != pattern[k])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Puts <paramref name="prefix"/> in front; it takes the span of the first character (HF's prepend).</summary>
    public void Prepend(int[] prefix)
    {
        if (_chars.Count == 0 || prefix.Length == 0)
        {
            return;
        }
        var dest = new List<(int, int)>(prefix.Length + 1);
        for (int k = 0; k < prefix.Length; k++)
        {
            dest.Add((prefix[k], k == 0 ? 0 : 1));
        }
        dest.Add((_chars[0], 1));
        TransformRange(0, 1, dest, 0);
    }

    /// <summary>A copy of normalized code points [start, end); null when empty.</summary>
    public AlignedString? Slice(int start, int end)
    {
        if (end <= start)
        {
            return null;
        }
        return new AlignedString(_chars.GetRange(start, end - start), _align.GetRange(start, end - start), _align[start].Start);
    }

    /// <summary>HF's pattern matching for a character predicate: each matching code point is one match, with the gaps between as non-matches.</summary>
    public List<(int Start, int End, bool IsMatch)> FindMatches(Func<int, bool> predicate)
    {
        var result = new List<(int, int, bool)>();
        int last = 0;
        for (int i = 0; i < _chars.Count; i++)
        {
            if (!predicate(_chars[i]))
            {
                continue;
            }
            if (last < i)
            {
                result.Add((last, i, false));
            }
            result.Add((i, i + 1, true));
            last = i + 1;
        }
        if (last < _chars.Count)
        {
            result.Add((last, _chars.Count, false));
        }
        return result;
    }

    /// <summary>Splits on <paramref name="matches"/> (which must cover the string in order); empty pieces are dropped as HF's PreTokenizedString does.</summary>
    public List<AlignedString> Split(List<(int Start, int End, bool IsMatch)> matches, SplitBehavior behavior)
    {
        var pieces = new List<(int Start, int End, bool Remove)>(matches.Count);
        switch (behavior)
        {
            case SplitBehavior.Removed:
                pieces.AddRange(matches.Select(m => (m.Start, m.End, m.IsMatch)));
                break;
            case SplitBehavior.Isolated:
                pieces.AddRange(matches.Select(m => (m.Start, m.End, false)));
                break;
            case SplitBehavior.MergedWithNext:
                bool previousMatch = false;
                for (int k = matches.Count - 1; k >= 0; k--)
                {
                    var m = matches[k];
                    if (m.IsMatch && !previousMatch && pieces.Count > 0)
                    {
                        var lastPiece = pieces[^1];
                        pieces[^1] = (m.Start, lastPiece.End, false);
                    }
                    else
                    {
                        pieces.Add((m.Start, m.End, false));
                    }
                    previousMatch = m.IsMatch;
                }
                pieces.Reverse();
                break;
        }
        var result = new List<AlignedString>(pieces.Count);
        foreach (var (start, end, remove) in pieces)
        {
            if (!remove && Slice(start, end) is { } piece)
            {
                result.Add(piece);
            }
        }
        return result;
    }
}
