using Acclimate.Data.Tagging;

namespace Acclimate.Tests.Data.Tagging;

/// <summary>
/// Properties over many sequences: every encoding is legal and decodes to its spans, and every legal
/// sequence is the encoding of what it decodes to. Together they say the transition rules admit
/// exactly one way to write each set of spans: not too strict, not too loose.
/// </summary>
public sealed class TagRoundTripTests
{
    private static readonly string[] Types = ["PER", "LOC"];

    [Theory]
    [InlineData(TaggingScheme.IO)]
    [InlineData(TaggingScheme.IOB1)]
    [InlineData(TaggingScheme.IOB2)]
    [InlineData(TaggingScheme.IOE1)]
    [InlineData(TaggingScheme.IOE2)]
    [InlineData(TaggingScheme.IOBES)]
    [InlineData(TaggingScheme.BILOU)]
    [InlineData(TaggingScheme.IOBS)]
    [InlineData(TaggingScheme.BMES)]
    public void RandomSpansSurviveEncodeAndDecode(TaggingScheme scheme)
    {
        var random = new Random(1234);
        for (var trial = 0; trial < 2000; trial++)
        {
            var length = random.Next(0, 12);
            var spans = RandomSpans(random, length, allowTouchingSameType: scheme != TaggingScheme.IO);
            var tags = TagEncoder.Encode(spans, length, scheme);
            Assert.True(TagDecoder.IsLegal(tags, scheme, out var problem), $"{string.Join(' ', tags)}: {problem}");
            Assert.Equal(spans, TagDecoder.Decode(tags, scheme, TagReading.Strict));
        }
    }

    [Fact]
    public void ConversionBetweenAnyTwoSchemesIsLossless()
    {
        var random = new Random(99);
        for (var trial = 0; trial < 300; trial++)
        {
            var length = random.Next(1, 10);
            var spans = RandomSpans(random, length, allowTouchingSameType: true);
            foreach (var from in TaggingSchemes.All.Where(s => s != TaggingScheme.IO))
            {
                var source = TagEncoder.Encode(spans, length, from);
                foreach (var to in TaggingSchemes.All.Where(s => s != TaggingScheme.IO))
                {
                    var converted = TagConverter.Convert(source, from, to);
                    Assert.Equal(TagEncoder.Encode(spans, length, to), converted);
                    Assert.Equal(source, TagConverter.Convert(converted, to, from));
                }
            }
        }
    }

    [Theory]
    [InlineData(TaggingScheme.IO)]
    [InlineData(TaggingScheme.IOB1)]
    [InlineData(TaggingScheme.IOB2)]
    [InlineData(TaggingScheme.IOE1)]
    [InlineData(TaggingScheme.IOE2)]
    [InlineData(TaggingScheme.IOBES)]
    [InlineData(TaggingScheme.BILOU)]
    [InlineData(TaggingScheme.IOBS)]
    public void EveryLegalSequenceIsTheCanonicalEncodingOfItsSpans(TaggingScheme scheme)
    {
        var labels = TagTransitions.LabelsFor(scheme, Types);
        var legal = 0;
        var spanSets = new HashSet<string>();
        foreach (var tags in AllSequences(labels, 4))
        {
            if (!TagDecoder.IsLegal(tags, scheme, out _)) continue;
            legal++;
            var spans = TagDecoder.Decode(tags, scheme, TagReading.Strict);
            Assert.Equal(tags, TagEncoder.Encode(spans, tags.Length, scheme));
            Assert.True(spanSets.Add(string.Join(' ', spans)));
        }
        // The number of legal sequences equals the number of span sets the scheme can write.
        Assert.Equal(CountWritableSpanSets(4, scheme == TaggingScheme.IO), legal);
    }

    private static IEnumerable<string[]> AllSequences(IReadOnlyList<string> labels, int length)
    {
        var index = new int[length];
        while (true)
        {
            yield return index.Select(i => labels[i]).ToArray();
            var k = length - 1;
            while (k >= 0 && ++index[k] == labels.Count) index[k--] = 0;
            if (k < 0) yield break;
        }
    }

    // Non-overlapping typed span sets over `length` tokens (two types), counted by brute force.
    private static int CountWritableSpanSets(int length, bool forbidTouchingSameType)
    {
        int Count(int position, string? previousType)
        {
            if (position == length) return 1;
            var total = Count(position + 1, null); // token is O
            for (var end = position + 1; end <= length; end++)
                foreach (var type in Types)
                    if (!(forbidTouchingSameType && type == previousType))
                        total += Count(end, type);
            return total;
        }
        return Count(0, null);
    }

    private static List<EntitySpan> RandomSpans(Random random, int length, bool allowTouchingSameType)
    {
        var spans = new List<EntitySpan>();
        var i = 0;
        while (i < length)
        {
            if (random.NextDouble() < 0.4)
            {
                i++;
                continue;
            }
            var end = Math.Min(length, i + random.Next(1, 4));
            var type = Types[random.Next(Types.Length)];
            if (!allowTouchingSameType && spans.Count > 0 && spans[^1].End == i && spans[^1].Type == type)
                type = Types.First(t => t != type);
            spans.Add(new EntitySpan(type, i, end));
            i = end;
        }
        return spans;
    }
}
