using Acclimate.Tokenization;

namespace Acclimate.Tests.Tokenization;

/// <summary>Compares one encoding with its golden case field by field and describes the first difference.</summary>
internal static class GoldenComparison
{
    public static string? FirstDifference(GoldenCase g, TokenizedText t)
    {
        if (!g.Ids.SequenceEqual(t.Ids))
        {
            return $"ids\n  expected {string.Join(",", g.Ids)}\n  actual   {string.Join(",", t.Ids)}" + TokensLine(g, t);
        }
        if (!g.Tokens.SequenceEqual(t.Tokens))
        {
            return "tokens" + TokensLine(g, t);
        }
        var utf16 = t.Offsets.Select(o => new[] { o.Start, o.End }).ToArray();
        if (!SameSpans(g.OffsetsUtf16, utf16))
        {
            return $"offsets_utf16\n  expected {Spans(g.OffsetsUtf16)}\n  actual   {Spans(utf16)}" + TokensLine(g, t);
        }
        var codePoints = t.Offsets.Select((o, i) =>
        {
            string source = t.SequenceIds[i] == 1 ? g.TextPair! : g.Text;
            var cp = TextOffsets.ToCodePoints(source, o);
            return new[] { cp.Start, cp.End };
        }).ToArray();
        if (!SameSpans(g.Offsets, codePoints))
        {
            return $"offsets (code points)\n  expected {Spans(g.Offsets)}\n  actual   {Spans(codePoints)}";
        }
        if (!g.TypeIds.SequenceEqual(t.TypeIds))
        {
            return $"type_ids\n  expected {string.Join(",", g.TypeIds)}\n  actual   {string.Join(",", t.TypeIds)}";
        }
        if (!g.SequenceIds.SequenceEqual(t.SequenceIds))
        {
            return "sequence_ids";
        }
        if (!g.SpecialTokensMask.SequenceEqual(t.SpecialTokensMask))
        {
            return $"special_tokens_mask\n  expected {string.Join(",", g.SpecialTokensMask)}\n  actual   {string.Join(",", t.SpecialTokensMask)}";
        }
        return null;
    }

    private static string TokensLine(GoldenCase g, TokenizedText t) =>
        $"\n  expected tokens {string.Join(" ", g.Tokens.Select(Escape))}\n  actual tokens   {string.Join(" ", t.Tokens.Select(Escape))}";

    private static string Escape(string s) => string.Concat(s.Select(c => c < 0x20 ? $"\\x{(int)c:x2}" : c.ToString()));

    private static bool SameSpans(int[][] a, int[][] b) => a.Length == b.Length && a.Zip(b).All(p => p.First.SequenceEqual(p.Second));

    private static string Spans(int[][] s) => string.Join(" ", s.Select(x => $"[{x[0]},{x[1]}]"));
}
