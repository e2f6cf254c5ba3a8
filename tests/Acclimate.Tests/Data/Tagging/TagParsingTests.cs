using Acclimate.Data.Tagging;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Tagging;

public sealed class TagParsingTests
{
    [Theory]
    [InlineData("O", TagPrefix.O, "")]
    [InlineData("B-PER", TagPrefix.B, "PER")]
    [InlineData("I-GPE-LOC", TagPrefix.I, "GPE-LOC")]
    [InlineData("E-DATE_TIME", TagPrefix.E, "DATE_TIME")]
    [InlineData("S-疾病", TagPrefix.S, "疾病")]
    [InlineData("L-per", TagPrefix.L, "per")]
    [InlineData("U-X", TagPrefix.U, "X")]
    [InlineData("B", TagPrefix.B, "")]
    public void ParsesAndWritesBack(string text, TagPrefix prefix, string type)
    {
        var tag = Tag.Parse(text);
        Assert.Equal(new Tag(prefix, type), tag);
        Assert.Equal(text, tag.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("X-PER")]
    [InlineData("B-")]
    [InlineData("BPER")]
    [InlineData("O-PER")]
    [InlineData("b-PER")]
    public void RejectsNonTags(string text)
    {
        var e = Assert.Throws<DataException>(() => Tag.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
    }

    [Theory]
    [InlineData("bio", TaggingScheme.IOB2)]
    [InlineData("IOB2", TaggingScheme.IOB2)]
    [InlineData("BIOES", TaggingScheme.IOBES)]
    [InlineData("iobes", TaggingScheme.IOBES)]
    [InlineData("BILOU", TaggingScheme.BILOU)]
    [InlineData("IOBS", TaggingScheme.IOBS)]
    [InlineData("IOB1", TaggingScheme.IOB1)]
    [InlineData("IOE1", TaggingScheme.IOE1)]
    [InlineData("IOE2", TaggingScheme.IOE2)]
    [InlineData("IO", TaggingScheme.IO)]
    public void ParsesSchemeNamesAndAliases(string name, TaggingScheme expected) =>
        Assert.Equal(expected, TaggingSchemes.Parse(name));

    [Fact]
    public void UnknownSchemeNamesTheChoices()
    {
        var e = Assert.Throws<DataException>(() => TaggingSchemes.Parse("BIOLUX"));
        Assert.Contains("BIOLUX", e.Message);
        Assert.Contains("BMES", e.Message);
        Assert.Contains("IOBES", e.Message);
    }

    [Fact]
    public void PrefixOutsideTheSchemeIsRejectedEvenWhenLenient()
    {
        var e = Assert.Throws<DataException>(() => TagDecoder.Decode(["B-PER", "S-LOC"], TaggingScheme.IOB2, TagReading.Lenient));
        Assert.Contains("index 1", e.Message);
        Assert.Contains("'S-LOC'", e.Message);
    }
}
