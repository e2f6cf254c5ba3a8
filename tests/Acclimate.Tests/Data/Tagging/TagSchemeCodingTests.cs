using Acclimate.Data.Tagging;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Tagging;

/// <summary>
/// Hand-written sentences in every scheme: decoding gives the spans, encoding the spans gives the
/// sentence back. The spans include adjacent entities of one type (where IOB1/IOE1 need their B/E)
/// and a type change between touching entities.
/// </summary>
public sealed class TagSchemeCodingTests
{
    // PER[0,3) LOC[3,4) LOC[4,6) O MISC[7,8): long, single, adjacent same type, type change, gap.
    private static readonly EntitySpan[] Spans =
    [
        new("PER", 0, 3), new("LOC", 3, 4), new("LOC", 4, 6), new("MISC", 7, 8),
    ];

    public static TheoryData<TaggingScheme, string> Sentences => new()
    {
        { TaggingScheme.IOB1, "I-PER I-PER I-PER I-LOC B-LOC I-LOC O I-MISC" },
        { TaggingScheme.IOB2, "B-PER I-PER I-PER B-LOC B-LOC I-LOC O B-MISC" },
        { TaggingScheme.IOE1, "I-PER I-PER I-PER E-LOC I-LOC I-LOC O I-MISC" },
        { TaggingScheme.IOE2, "I-PER I-PER E-PER E-LOC I-LOC E-LOC O E-MISC" },
        { TaggingScheme.IOBES, "B-PER I-PER E-PER S-LOC B-LOC E-LOC O S-MISC" },
        { TaggingScheme.BILOU, "B-PER I-PER L-PER U-LOC B-LOC L-LOC O U-MISC" },
        { TaggingScheme.IOBS, "B-PER I-PER I-PER S-LOC B-LOC I-LOC O S-MISC" },
        { TaggingScheme.BMES, "B-PER M-PER E-PER S-LOC B-LOC E-LOC O S-MISC" },
    };

    [Theory]
    [MemberData(nameof(Sentences))]
    public void DecodesStrictly(TaggingScheme scheme, string sentence) =>
        Assert.Equal(Spans, TagDecoder.Decode(sentence.Split(' '), scheme, TagReading.Strict));

    [Theory]
    [MemberData(nameof(Sentences))]
    public void Encodes(TaggingScheme scheme, string sentence) =>
        Assert.Equal(sentence, string.Join(' ', TagEncoder.Encode(Spans, 8, scheme)));

    [Theory]
    [MemberData(nameof(Sentences))]
    public void ConvertsToEveryOtherScheme(TaggingScheme from, string sentence)
    {
        foreach (var (to, expected) in Sentences.Select(row => ((TaggingScheme)row[0], (string)row[1])))
            Assert.Equal(expected, string.Join(' ', TagConverter.Convert(sentence.Split(' '), from, to)));
    }

    [Fact]
    public void IoDecodesTouchingEntitiesOfOneTypeAsOne()
    {
        var spans = TagDecoder.Decode("I-PER I-PER I-LOC O I-LOC".Split(' '), TaggingScheme.IO, TagReading.Strict);
        Assert.Equal([new EntitySpan("PER", 0, 2), new EntitySpan("LOC", 2, 3), new EntitySpan("LOC", 4, 5)], spans);
    }

    [Fact]
    public void IoCannotWriteTouchingEntitiesOfOneType()
    {
        var e = Assert.Throws<DataException>(() => TagEncoder.Encode(Spans, 8, TaggingScheme.IO));
        Assert.Contains("LOC[3,4)", e.Message);
        Assert.Contains("LOC[4,6)", e.Message);
        Assert.Throws<DataException>(() => TagConverter.Convert("B-LOC B-LOC".Split(' '), TaggingScheme.IOB2, TaggingScheme.IO));
    }

    [Fact]
    public void IoWritesEverythingElse()
    {
        var tags = TagEncoder.Encode([new EntitySpan("PER", 0, 2), new EntitySpan("LOC", 2, 3)], 4, TaggingScheme.IO);
        Assert.Equal("I-PER I-PER I-LOC O", string.Join(' ', tags));
    }

    [Fact]
    public void EmptySentenceAndAllOutside()
    {
        foreach (var scheme in TaggingSchemes.All)
        {
            Assert.Empty(TagDecoder.Decode([], scheme, TagReading.Strict));
            Assert.Empty(TagDecoder.Decode(["O", "O"], scheme, TagReading.Strict));
            Assert.Equal(["O", "O"], TagEncoder.Encode([], 2, scheme));
        }
    }

    [Fact]
    public void BareTagsHaveTheEmptyType()
    {
        Assert.Equal([new EntitySpan("", 0, 2)], TagDecoder.Decode(["B", "I", "O"], TaggingScheme.IOB2, TagReading.Strict));
        Assert.Equal(["S", "O"], TagEncoder.Encode([new EntitySpan("", 0, 1)], 2, TaggingScheme.IOBES));
    }

    [Fact]
    public void EncoderRejectsSpansThatDoNotFit()
    {
        Assert.Throws<DataException>(() => TagEncoder.Encode([new EntitySpan("PER", 2, 5)], 4, TaggingScheme.IOB2));
        Assert.Throws<DataException>(() => TagEncoder.Encode([new EntitySpan("PER", 1, 1)], 4, TaggingScheme.IOB2));
        var e = Assert.Throws<DataException>(() => TagEncoder.Encode([new EntitySpan("PER", 0, 2), new EntitySpan("LOC", 1, 3)], 4, TaggingScheme.IOB2));
        Assert.Contains("overlap", e.Message);
    }

    [Fact]
    public void EncoderAcceptsSpansInAnyOrder()
    {
        var tags = TagEncoder.Encode([new EntitySpan("LOC", 2, 3), new EntitySpan("PER", 0, 2)], 3, TaggingScheme.IOB2);
        Assert.Equal("B-PER I-PER B-LOC", string.Join(' ', tags));
    }
}
