using Acclimate.Errors;

namespace Acclimate.Data.Tagging;

/// <summary>Writes entity spans as one sentence's tags in a scheme.</summary>
public static class TagEncoder
{
    /// <summary>
    /// Tags a sentence of <paramref name="length"/> tokens that holds <paramref name="spans"/> (in any
    /// order; they must not overlap). The result is legal in <paramref name="scheme"/> and decodes back
    /// to the same spans. Throws a <see cref="DataException"/> for spans that do not fit the sentence,
    /// overlap, or (in IO) touch another span of the same type, which IO cannot write.
    /// </summary>
    public static string[] Encode(IEnumerable<EntitySpan> spans, int length, TaggingScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(spans);
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "a sentence length cannot be negative");
        var sorted = spans.OrderBy(s => s.Start).ThenBy(s => s.End).ToArray();
        Check(sorted, length, scheme);

        var tags = new string[length];
        Array.Fill(tags, "O");
        for (var k = 0; k < sorted.Length; k++)
        {
            var span = sorted[k];
            // IOB1 and IOE1 mark a boundary only where two entities of one type touch.
            var touchesPrevious = k > 0 && sorted[k - 1].End == span.Start && sorted[k - 1].Type == span.Type;
            var touchesNext = k + 1 < sorted.Length && sorted[k + 1].Start == span.End && sorted[k + 1].Type == span.Type;
            for (var i = span.Start; i < span.End; i++)
            {
                var first = i == span.Start;
                var last = i == span.End - 1;
                var prefix = scheme switch
                {
                    TaggingScheme.IO => TagPrefix.I,
                    TaggingScheme.IOB1 => first && touchesPrevious ? TagPrefix.B : TagPrefix.I,
                    TaggingScheme.IOB2 => first ? TagPrefix.B : TagPrefix.I,
                    TaggingScheme.IOE1 => last && touchesNext ? TagPrefix.E : TagPrefix.I,
                    TaggingScheme.IOE2 => last ? TagPrefix.E : TagPrefix.I,
                    TaggingScheme.IOBES => span.Length == 1 ? TagPrefix.S : first ? TagPrefix.B : last ? TagPrefix.E : TagPrefix.I,
                    TaggingScheme.BILOU => span.Length == 1 ? TagPrefix.U : first ? TagPrefix.B : last ? TagPrefix.L : TagPrefix.I,
                    TaggingScheme.IOBS => span.Length == 1 ? TagPrefix.S : first ? TagPrefix.B : TagPrefix.I,
                    TaggingScheme.BMES => span.Length == 1 ? TagPrefix.S : first ? TagPrefix.B : last ? TagPrefix.E : TagPrefix.M,
                    _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, null),
                };
                tags[i] = new Tag(prefix, span.Type).ToString();
            }
        }
        return tags;
    }

    private static void Check(EntitySpan[] sorted, int length, TaggingScheme scheme)
    {
        for (var k = 0; k < sorted.Length; k++)
        {
            var span = sorted[k];
            if (span.Type is null)
                throw new DataException($"span {k} has no type: every entity span needs a type (it may be empty for bare tags).");
            if (span.Start < 0 || span.End <= span.Start || span.End > length)
                throw new DataException($"span {span} does not fit a sentence of {length} tokens: expected 0 <= start < end <= {length}.");
            if (k == 0) continue;
            var prev = sorted[k - 1];
            if (span.Start < prev.End)
                throw new DataException($"spans {prev} and {span} overlap: tags can only hold non-overlapping entities.");
            if (scheme == TaggingScheme.IO && span.Start == prev.End && span.Type == prev.Type)
                throw new DataException(
                    $"spans {prev} and {span} touch and have the same type, which IO cannot write (they would read back as one entity); use a scheme with B or E.");
        }
    }
}
