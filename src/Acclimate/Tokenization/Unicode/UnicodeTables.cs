using System.Collections.Frozen;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Acclimate.Tokenization.Unicode;

/// <summary>
/// Per-character Unicode data HuggingFace's normalizers rely on: canonical and compatibility
/// decompositions, canonical combining classes and full lowercase mappings. Carried in the assembly
/// (see generate_unicode_tables.py) because .NET's own normalization needs ICU, is a no-op under
/// InvariantGlobalization, and its casing differs from Rust's for U+0130.
/// </summary>
internal static partial class UnicodeTables
{
    private const int HangulSBase = 0xAC00;
    private const int HangulLBase = 0x1100;
    private const int HangulVBase = 0x1161;
    private const int HangulTBase = 0x11A7;
    private const int HangulTCount = 28;
    private const int HangulNCount = 21 * HangulTCount;
    private const int HangulSCount = 19 * HangulNCount;

    private static readonly Lazy<Tables> Data = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Full canonical decomposition of <paramref name="codePoint"/>, or null when it decomposes to itself.</summary>
    public static int[]? CanonicalDecomposition(int codePoint)
    {
        if (IsHangulSyllable(codePoint))
        {
            return DecomposeHangul(codePoint);
        }
        return Data.Value.Canonical.TryGetValue(codePoint, out var d) ? d : null;
    }

    /// <summary>Full compatibility decomposition of <paramref name="codePoint"/>, or null when it decomposes to itself.</summary>
    public static int[]? CompatibilityDecomposition(int codePoint)
    {
        if (IsHangulSyllable(codePoint))
        {
            return DecomposeHangul(codePoint);
        }
        var tables = Data.Value;
        if (tables.Compatibility.TryGetValue(codePoint, out var k))
        {
            return k;
        }
        return tables.Canonical.TryGetValue(codePoint, out var d) ? d : null;
    }

    /// <summary>
    /// The Unicode version that assigned <paramref name="codePoint"/>, as major*10+minor (80 for 8.0),
    /// or <see cref="int.MaxValue"/> when it came after 9.0 or is unassigned.
    /// </summary>
    public static int Age(int codePoint)
    {
        var ranges = Data.Value.AgeRanges;
        int lo = 0, hi = ranges.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var r = ranges[mid];
            if (codePoint < r.Start)
            {
                hi = mid - 1;
            }
            else if (codePoint > r.End)
            {
                lo = mid + 1;
            }
            else
            {
                return r.Age;
            }
        }
        return int.MaxValue;
    }

    /// <summary>Canonical combining class (0 for starters).</summary>
    public static int CombiningClass(int codePoint) =>
        Data.Value.CombiningClasses.TryGetValue(codePoint, out var ccc) ? ccc : 0;

    /// <summary>Full lowercase mapping (as Rust's <c>char::to_lowercase</c>), or null when unchanged.</summary>
    public static int[]? Lowercase(int codePoint)
    {
        if (codePoint < 0x80)
        {
            // ASCII fast path: the table agrees with this.
            return codePoint is >= 'A' and <= 'Z' ? AsciiLower[codePoint - 'A'] : null;
        }
        return Data.Value.Lower.TryGetValue(codePoint, out var l) ? l : null;
    }

    private static readonly int[][] AsciiLower = Enumerable.Range('a', 26).Select(c => new[] { c }).ToArray();

    private static bool IsHangulSyllable(int cp) => cp >= HangulSBase && cp < HangulSBase + HangulSCount;

    private static int[] DecomposeHangul(int cp)
    {
        int s = cp - HangulSBase;
        int l = HangulLBase + s / HangulNCount;
        int v = HangulVBase + s % HangulNCount / HangulTCount;
        int t = HangulTBase + s % HangulTCount;
        return t == HangulTBase ? new[] { l, v } : new[] { l, v, t };
    }

    private sealed record Tables(
        FrozenDictionary<int, int[]> Canonical,
        FrozenDictionary<int, int[]> Compatibility,
        FrozenDictionary<int, int> CombiningClasses,
        FrozenDictionary<int, int[]> Lower,
        (int Start, int End, int Age)[] AgeRanges);

    private static Tables Load()
    {
        var canonical = new Dictionary<int, int[]>();
        var compatibility = new Dictionary<int, int[]>();
        var combining = new Dictionary<int, int>();
        var lower = new Dictionary<int, int[]>();
        var ages = new List<(int, int, int)>();

        var compressed = Convert.FromBase64String(CompressedTables);
        using var input = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var reader = new StreamReader(input, Encoding.ASCII);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }
            var parts = line.Split(' ');
            int cp = int.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            switch (parts[0])
            {
                case "D": canonical[cp] = ParseHex(parts); break;
                case "K": compatibility[cp] = ParseHex(parts); break;
                case "C": combining[cp] = int.Parse(parts[2], CultureInfo.InvariantCulture); break;
                case "L": lower[cp] = ParseHex(parts); break;
                case "A":
                    ages.Add((cp, int.Parse(parts[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                        int.Parse(parts[3], CultureInfo.InvariantCulture)));
                    break;
                default: throw new InvalidDataException("Corrupt Unicode table line: " + line);
            }
        }
        return new Tables(canonical.ToFrozenDictionary(), compatibility.ToFrozenDictionary(),
            combining.ToFrozenDictionary(), lower.ToFrozenDictionary(), ages.OrderBy(a => a.Item1).ToArray());
    }

    private static int[] ParseHex(string[] parts)
    {
        var result = new int[parts.Length - 2];
        for (int i = 2; i < parts.Length; i++)
        {
            result[i - 2] = int.Parse(parts[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        return result;
    }
}
