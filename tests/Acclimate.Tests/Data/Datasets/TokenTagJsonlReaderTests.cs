using Acclimate.Data.Datasets;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Datasets;

public sealed class TokenTagJsonlReaderTests
{
    [Fact]
    public void ReadsTokensAndTagsWithConfigurableFields()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("d.jsonl"), "{\"tokens\": [\"EU\", \"rejects\"], \"tags\": [\"B-ORG\", \"O\"]}\n\n{\"tokens\": [\"a\"], \"tags\": [\"O\"]}\n");
        var sentences = TokenTagJsonlReader.Read(temp.File("d.jsonl")).ToList();
        Assert.Equal(new[] { "EU", "rejects" }, sentences[0].Words);
        Assert.Equal(new[] { "B-ORG", "O" }, sentences[0].Tags);
        Assert.Equal(new[] { 1, 3 }, sentences.Select(s => s.LineNumber));
        Assert.Equal(3, sentences[1].TokenLine(0));

        File.WriteAllText(temp.File("w.jsonl"), "{\"words\": [\"a\"], \"ner\": [\"B-X\"]}\n");
        Assert.Equal("B-X", Assert.Single(TokenTagJsonlReader.Read(temp.File("w.jsonl"), "words", "ner")).Tags[0]);
    }

    [Fact]
    public void LengthMismatchNamesTheLine()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("d.jsonl"), "{\"tokens\": [\"a\"], \"tags\": [\"O\"]}\n{\"tokens\": [\"a\", \"b\"], \"tags\": [\"O\"]}\n");
        var e = Assert.Throws<DataException>(() => TokenTagJsonlReader.Read(temp.File("d.jsonl")).ToList());
        Assert.Contains("d.jsonl:2:", e.Message);
        Assert.Contains("2 tokens but 1 tags", e.Message);
    }

    [Fact]
    public void NumericTagsMissingFieldsAndEmptyFilesAreErrors()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("n.jsonl"), "{\"tokens\": [\"a\"], \"tags\": [3]}\n");
        Assert.Contains("map tag ids to tag names", Assert.Throws<DataException>(() => TokenTagJsonlReader.Read(temp.File("n.jsonl")).ToList()).Message);
        File.WriteAllText(temp.File("m.jsonl"), "{\"tokens\": [\"a\"]}\n");
        Assert.Contains("missing field 'tags'", Assert.Throws<DataException>(() => TokenTagJsonlReader.Read(temp.File("m.jsonl")).ToList()).Message);
        File.WriteAllText(temp.File("e.jsonl"), "\n\n");
        Assert.Contains("empty dataset", Assert.Throws<DataException>(() => TokenTagJsonlReader.Read(temp.File("e.jsonl")).ToList()).Message);
    }
}
