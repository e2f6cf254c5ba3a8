using Acclimate.Data.Tagging;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Tagging;

/// <summary>
/// Sequences that break their scheme: strict reading names the index and what was expected; lenient
/// reading repairs the way conlleval does.
/// </summary>
public sealed class TagMalformedTests
{
    public static TheoryData<TaggingScheme, string, string, string> Cases => new()
    {
        // scheme, tags, lenient spans, text the strict error must contain
        { TaggingScheme.IOB2, "O I-PER I-PER O", "PER[1,3)", "index 1 'I-PER' cannot follow 'O'" },
        { TaggingScheme.IOB2, "I-PER I-PER", "PER[0,2)", "index 0 'I-PER' cannot open" },
        { TaggingScheme.IOB2, "B-PER I-LOC I-LOC", "PER[0,1) LOC[1,3)", "index 1 'I-LOC' cannot follow 'B-PER'" },
        { TaggingScheme.IOB1, "O B-PER I-PER", "PER[1,3)", "index 1 'B-PER' cannot follow 'O'" },
        { TaggingScheme.IOB1, "B-PER", "PER[0,1)", "index 0 'B-PER' cannot open" },
        { TaggingScheme.IOE1, "I-PER E-PER O", "PER[0,2)", "index 2 'O' cannot follow 'E-PER'" },
        { TaggingScheme.IOE1, "I-PER E-PER", "PER[0,2)", "index 1 'E-PER' cannot close" },
        { TaggingScheme.IOE2, "I-LOC I-LOC O", "LOC[0,2)", "index 2 'O' cannot follow 'I-LOC'" },
        { TaggingScheme.IOE2, "O I-LOC", "LOC[1,2)", "index 1 'I-LOC' cannot close" },
        { TaggingScheme.IOBES, "B-PER I-PER O", "PER[0,2)", "index 2 'O' cannot follow 'I-PER'" },
        { TaggingScheme.IOBES, "O E-PER O", "PER[1,2)", "index 1 'E-PER' cannot follow 'O'" },
        { TaggingScheme.IOBES, "S-PER I-PER E-PER", "PER[0,1) PER[1,3)", "index 1 'I-PER' cannot follow 'S-PER'" },
        { TaggingScheme.IOBES, "B-PER E-PER I-PER", "PER[0,2) PER[2,3)", "index 2 'I-PER' cannot follow 'E-PER'" },
        { TaggingScheme.BILOU, "B-PER I-PER", "PER[0,2)", "index 1 'I-PER' cannot close" },
        { TaggingScheme.BILOU, "O L-PER", "PER[1,2)", "index 1 'L-PER' cannot follow 'O'" },
        { TaggingScheme.BILOU, "U-PER L-PER", "PER[0,1) PER[1,2)", "index 1 'L-PER' cannot follow 'U-PER'" },
        { TaggingScheme.IOBS, "S-PER I-PER O", "PER[0,1) PER[1,2)", "index 1 'I-PER' cannot follow 'S-PER'" },
        { TaggingScheme.IOBS, "B-PER S-PER", "PER[0,1) PER[1,2)", "index 1 'S-PER' cannot follow 'B-PER'" },
        { TaggingScheme.IOBS, "B-LOC O", "LOC[0,1)", "index 1 'O' cannot follow 'B-LOC'" },
        { TaggingScheme.IOBS, "O I-LOC", "LOC[1,2)", "index 1 'I-LOC' cannot follow 'O'" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LenientReadingRepairs(TaggingScheme scheme, string tags, string spans, string _) =>
        Assert.Equal(spans, string.Join(' ', TagDecoder.Decode(tags.Split(' '), scheme, TagReading.Lenient)));

    [Theory]
    [MemberData(nameof(Cases))]
    public void StrictReadingThrowsAtTheFirstIllegalTag(TaggingScheme scheme, string tags, string _, string message)
    {
        var e = Assert.Throws<DataException>(() => TagDecoder.Decode(tags.Split(' '), scheme, TagReading.Strict));
        Assert.Contains(message, e.Message);
        Assert.Contains("expected one of", e.Message);
        Assert.False(TagDecoder.IsLegal(tags.Split(' '), scheme, out var problem));
        Assert.Equal(e.Message, problem);
    }

    [Fact]
    public void StrictErrorSaysWhatWasExpected()
    {
        var e = Assert.Throws<DataException>(() => TagDecoder.Validate("O I-PER".Split(' '), TaggingScheme.IOB2));
        Assert.Contains("expected one of 'O', 'B-PER'", e.Message);
    }

    [Fact]
    public void StrictConversionRefusesIllegalInputAndLenientRepairsIt()
    {
        string[] tags = ["O", "I-PER", "I-PER", "O"];
        Assert.Throws<DataException>(() => TagConverter.Convert(tags, TaggingScheme.IOB2, TaggingScheme.IOBES, TagReading.Strict));
        Assert.Equal(["O", "B-PER", "E-PER", "O"], TagConverter.Convert(tags, TaggingScheme.IOB2, TaggingScheme.IOBES, TagReading.Lenient));
    }

    [Fact]
    public void CorpusConversionNamesTheSentence()
    {
        string[][] corpus = [["B-PER", "O"], ["O", "I-LOC"]];
        var e = Assert.Throws<DataException>(() => TagConverter.ConvertAll(corpus, TaggingScheme.IOB2, TaggingScheme.BILOU));
        Assert.StartsWith("sentence 1: tag at index 1 'I-LOC'", e.Message);
    }
}
