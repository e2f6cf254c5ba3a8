using Acclimate.Data.Datasets;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Datasets;

public sealed class SpanJsonlReaderTests
{
    private static List<TaggedSentence> ReadLine(TempFolder temp, string jsonLine)
    {
        File.WriteAllText(temp.File("s.jsonl"), "{\"text\": \"ok\", \"label\": {}}\n" + jsonLine + "\n");
        return SpanJsonlReader.Read(temp.File("s.jsonl")).ToList();
    }

    [Fact]
    public void ConvertsClueNerSpansToCharacterBio()
    {
        var path = TestPaths.Fixture("data", "ner-zh", "cluener-style.jsonl");
        var records = SpanJsonlReader.Read(path).ToList();
        Assert.Equal(new[] { 1, 2, 4, 5 }, records.Select(r => r.LineNumber));

        var first = records[0];
        Assert.Equal("浙商银行企业信贷部叶老桂博士则从另一个角度对五道门槛进行了解读。叶老桂认为，对目前国内商业银行而言，", string.Concat(first.Words));
        Assert.Equal(new[] { "B-company", "I-company", "I-company", "I-company", "O" }, first.Tags.Take(5));
        Assert.Equal(new[] { "O", "B-name", "I-name", "I-name", "O" }, first.Tags.Skip(8).Take(5));
        Assert.Equal(7, first.Tags.Count(t => t != "O"));

        Assert.Equal(new[] { "B-game", "I-game", "I-game", "I-game" }, records[1].Tags.Skip(4).Take(4));
        Assert.All(records[3].Tags, t => Assert.Equal("O", t));
    }

    [Fact]
    public void OffsetsCountCodePointsSoAnEmojiIsOneCharacter()
    {
        var emoji = SpanJsonlReader.Read(TestPaths.Fixture("data", "ner-zh", "cluener-style.jsonl")).ElementAt(2);
        Assert.Equal("😀", emoji.Words[0]);
        Assert.Equal(new[] { "O", "O", "B-address", "I-address", "O", "O", "O", "B-address", "I-address", "O" }, emoji.Tags.Take(10));
    }

    [Fact]
    public void OverlappingSpansAreAnError()
    {
        using var temp = TestPaths.NewTempFolder();
        var e = Assert.Throws<DataException>(() => ReadLine(temp, "{\"text\": \"北京大学\", \"label\": {\"address\": {\"北京\": [[0, 1]]}, \"organization\": {\"北京大学\": [[0, 3]]}}}"));
        Assert.Contains("s.jsonl:2:", e.Message);
        Assert.Contains("overlaps", e.Message);
    }

    [Fact]
    public void SpanBeyondTheTextIsAnError()
    {
        using var temp = TestPaths.NewTempFolder();
        var e = Assert.Throws<DataException>(() => ReadLine(temp, "{\"text\": \"北京\", \"label\": {\"address\": {\"北京\": [[0, 2]]}}}"));
        Assert.Contains("s.jsonl:2:", e.Message);
        Assert.Contains("does not fit the text of 2 characters", e.Message);
    }

    [Fact]
    public void MentionThatDiffersFromTheTextIsAnError()
    {
        using var temp = TestPaths.NewTempFolder();
        // An exclusive end (the usual mistake) covers one character too few.
        var e = Assert.Throws<DataException>(() => ReadLine(temp, "{\"text\": \"去北京\", \"label\": {\"address\": {\"北京\": [[1, 1]]}}}"));
        Assert.Contains("s.jsonl:2:", e.Message);
        Assert.Contains("covers '北'", e.Message);
        Assert.Contains("expected the mention '北京'", e.Message);
    }

    [Fact]
    public void MissingLabelAndBadSpanShapeAreErrors()
    {
        using var temp = TestPaths.NewTempFolder();
        Assert.Contains("missing field 'label'", Assert.Throws<DataException>(() => ReadLine(temp, "{\"id\": 0, \"text\": \"北京\"}")).Message);
        Assert.Contains("expected [start, end] integers", Assert.Throws<DataException>(() => ReadLine(temp, "{\"text\": \"北京\", \"label\": {\"address\": {\"北京\": [[0]]}}}")).Message);
    }

    [Fact]
    public void TheSameSpanListedTwiceIsNotAnOverlap()
    {
        using var temp = TestPaths.NewTempFolder();
        var records = ReadLine(temp, "{\"text\": \"北京\", \"label\": {\"address\": {\"北京\": [[0, 1], [0, 1]]}}}");
        Assert.Equal(new[] { "B-address", "I-address" }, records[1].Tags);
    }
}
