using System.Text;
using Acclimate.Data.Tagging;
using Acclimate.Errors;

namespace Acclimate.Evaluation;

/// <summary>
/// Entity extraction of seqeval's strict mode (<c>seqeval.scheme.Tokens.entities</c>), sentence by
/// sentence. Each scheme is three sets of (previous prefix, current prefix, same/different type)
/// patterns: a chunk opens where a start pattern matches, runs while inside patterns match, and is
/// kept only if an end pattern matches across its last boundary; otherwise it is dropped.
/// </summary>
/// <remarks>
/// The tables are seqeval 1.2.2's, quirks included (IOB1 starts a chunk at B only after a same-type
/// chunk; IOE1 cannot end a chunk at E before O), because the point is to give seqeval's numbers.
/// </remarks>
internal static class StrictChunker
{
    [Flags]
    private enum P : byte
    {
        None = 0,
        I = 1,
        O = 2,
        B = 4,
        E = 8,
        S = 16,
        U = 32,
        L = 64,
        Any = I | O | B | E | S | U | L,
    }

    private enum Types : byte { Any, Same, Diff }

    private readonly record struct Pattern(P Prev, P Current, Types Types);

    private sealed record Rules(P Allowed, Pattern[] Start, Pattern[] Inside, Pattern[] End);

    private readonly record struct Token(P Prefix, string Type);

    private static readonly Token OutsideToken = new(P.O, "_");

    private static Pattern R(P prev, P current, Types types) => new(prev, current, types);

    private static readonly Rules Iob1 = new(
        P.I | P.O | P.B,
        [R(P.O, P.I, Types.Any), R(P.I, P.I, Types.Diff), R(P.B, P.I, Types.Any), R(P.I, P.B, Types.Same), R(P.B, P.B, Types.Same)],
        [R(P.B, P.I, Types.Same), R(P.I, P.I, Types.Same)],
        [R(P.I, P.I, Types.Diff), R(P.I, P.O, Types.Any), R(P.I, P.B, Types.Any), R(P.B, P.O, Types.Any), R(P.B, P.I, Types.Diff), R(P.B, P.B, Types.Same)]);

    private static readonly Rules Ioe1 = new(
        P.I | P.O | P.E,
        [R(P.O, P.I, Types.Any), R(P.I, P.I, Types.Diff), R(P.E, P.I, Types.Any), R(P.E, P.E, Types.Same)],
        [R(P.I, P.I, Types.Same), R(P.I, P.E, Types.Same)],
        [R(P.I, P.I, Types.Diff), R(P.I, P.O, Types.Any), R(P.I, P.E, Types.Diff), R(P.E, P.I, Types.Same), R(P.E, P.E, Types.Same)]);

    private static readonly Rules Iob2 = new(
        P.I | P.O | P.B,
        [R(P.Any, P.B, Types.Any)],
        [R(P.B, P.I, Types.Same), R(P.I, P.I, Types.Same)],
        [R(P.I, P.O, Types.Any), R(P.I, P.I, Types.Diff), R(P.I, P.B, Types.Any), R(P.B, P.O, Types.Any), R(P.B, P.I, Types.Diff), R(P.B, P.B, Types.Any)]);

    private static readonly Rules Ioe2 = new(
        P.I | P.O | P.E,
        [R(P.O, P.I, Types.Any), R(P.O, P.E, Types.Any), R(P.E, P.I, Types.Any), R(P.E, P.E, Types.Any), R(P.I, P.I, Types.Diff), R(P.I, P.E, Types.Diff)],
        [R(P.I, P.E, Types.Same), R(P.I, P.I, Types.Same)],
        [R(P.E, P.Any, Types.Any)]);

    private static readonly Rules Iobes = new(
        P.I | P.O | P.B | P.E | P.S,
        [R(P.Any, P.B, Types.Any), R(P.Any, P.S, Types.Any)],
        [R(P.B, P.I, Types.Same), R(P.B, P.E, Types.Same), R(P.I, P.I, Types.Same), R(P.I, P.E, Types.Same)],
        [R(P.S, P.Any, Types.Any), R(P.E, P.Any, Types.Any)]);

    private static readonly Rules Bilou = new(
        P.B | P.I | P.L | P.O | P.U,
        [R(P.Any, P.B, Types.Any), R(P.Any, P.U, Types.Any)],
        [R(P.B, P.I, Types.Same), R(P.B, P.L, Types.Same), R(P.I, P.I, Types.Same), R(P.I, P.L, Types.Same)],
        [R(P.U, P.Any, Types.Any), R(P.L, P.Any, Types.Any)]);

    /// <summary>The schemes seqeval's strict mode has a class for.</summary>
    public static bool Supports(TaggingScheme scheme) => RulesFor(scheme) is not null;

    /// <summary>The entities of every sentence, keyed by sentence index and in-sentence positions.</summary>
    public static HashSet<EntityKey> Extract(IReadOnlyList<IReadOnlyList<string>> corpus, TaggingScheme scheme, string side)
    {
        var rules = RulesFor(scheme)
            ?? throw new DataException($"strict mode has no scheme {scheme}: expected one of IOB1, IOB2, IOE1, IOE2, IOBES, BILOU.");
        var entities = new HashSet<EntityKey>();
        for (var s = 0; s < corpus.Count; s++)
        {
            var tokens = Read(corpus[s], rules, scheme, side, s);
            ExtractSentence(tokens, rules, s, entities);
        }
        return entities;
    }

    private static Rules? RulesFor(TaggingScheme scheme) => scheme switch
    {
        TaggingScheme.IOB1 => Iob1,
        TaggingScheme.IOB2 => Iob2,
        TaggingScheme.IOE1 => Ioe1,
        TaggingScheme.IOE2 => Ioe2,
        TaggingScheme.IOBES => Iobes,
        TaggingScheme.BILOU => Bilou,
        _ => null,
    };

    // Tokens plus a trailing O, which lets the last chunk's end pattern be checked like any other.
    private static Token[] Read(IReadOnlyList<string> sentence, Rules rules, TaggingScheme scheme, string side, int s)
    {
        var tokens = new Token[sentence.Count + 1];
        for (var t = 0; t < sentence.Count; t++)
        {
            var text = sentence[t];
            if (string.IsNullOrEmpty(text))
                throw new DataException($"{side} sentence {s}, token {t}: empty tag; expected 'O' or a tag such as 'B-PER'.");
            var rune = Rune.GetRuneAt(text, 0);
            var prefix = rune.Value switch
            {
                'I' => P.I, 'O' => P.O, 'B' => P.B, 'E' => P.E, 'S' => P.S, 'U' => P.U, 'L' => P.L, _ => P.None,
            };
            if (prefix == P.None || (prefix & rules.Allowed) == 0)
                throw new DataException(
                    $"{side} sentence {s}, token {t}: tag '{text}' is not valid in strict {scheme}: expected a prefix among {Describe(rules.Allowed)}.");
            // seqeval strips the delimiter from both ends of what follows the prefix: B-PER- is PER.
            var type = text[rune.Utf16SequenceLength..].Trim('-');
            tokens[t] = new Token(prefix, type.Length == 0 ? "_" : type);
        }
        tokens[^1] = OutsideToken;
        return tokens;
    }

    private static void ExtractSentence(Token[] tokens, Rules rules, int sentence, HashSet<EntityKey> entities)
    {
        var prev = OutsideToken;
        var i = 0;
        while (i < tokens.Length)
        {
            if (Matches(rules.Start, prev, tokens[i]))
            {
                var end = i + 1;
                // The trailing O never matches an inside pattern, so this stops inside the array.
                while (Matches(rules.Inside, tokens[end - 1], tokens[end])) end++;
                if (Matches(rules.End, tokens[end - 1], tokens[end]))
                    entities.Add(new EntityKey(sentence, tokens[i].Type, i, end));
                // Scanning resumes at the token that broke the chunk, whether it was kept or dropped.
                i = end;
            }
            else
            {
                i++;
            }
            prev = tokens[i - 1];
        }
    }

    private static bool Matches(Pattern[] patterns, Token prev, Token current)
    {
        foreach (var p in patterns)
        {
            if ((prev.Prefix & p.Prev) == 0 || (current.Prefix & p.Current) == 0) continue;
            var same = prev.Type == current.Type;
            if (p.Types == Types.Any || (p.Types == Types.Same) == same) return true;
        }
        return false;
    }

    private static string Describe(P allowed) =>
        string.Join(", ", new[] { P.I, P.O, P.B, P.E, P.S, P.U, P.L }.Where(p => (allowed & p) != 0));
}
