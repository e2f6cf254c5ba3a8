using Acclimate.Data.Datasets;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Datasets;

public sealed class ConllReaderTests
{
    [Fact]
    public void ReadsTheWnut17Excerpt()
    {
        var path = TestPaths.Fixture("data", "ner-en", "wnut17-train.conll");
        var sentences = ConllReader.Read(path).ToList();
        Assert.Equal(new[] { 27, 15, 12, 9, 12, 20 }, sentences.Select(s => s.Words.Count));
        var first = sentences[0];
        Assert.Equal(new[] { "@paulwalk", "It", "'s", "the", "view" }, first.Words.Take(5));
        Assert.Equal(new[] { "Empire", "State", "Building", "=", "ESB" }, first.Words.Skip(14).Take(5));
        Assert.Equal(new[] { "B-location", "I-location", "I-location", "O", "B-location" }, first.Tags.Skip(14).Take(5));
        Assert.Equal(1, first.LineNumber);
        Assert.Equal(29, sentences[1].LineNumber); // 27 token lines, then a blank line
        Assert.Equal(path, first.SourceFile);
        Assert.Equal(15, first.TokenLine(14));
    }

    [Fact]
    public void ReadsTheWeiboExcerptOneCharacterPerToken()
    {
        var sentences = ConllReader.Read(TestPaths.Fixture("data", "ner-zh", "weibo-train.conll")).ToList();
        Assert.Equal(new[] { 26, 15, 79 }, sentences.Select(s => s.Words.Count));
        Assert.All(sentences.SelectMany(s => s.Words), w => Assert.Single(w.EnumerateRunes()));
        Assert.Equal("对，输给一个女人，的成绩。失望", string.Concat(sentences[1].Words));
        Assert.Equal(new[] { "B-PER.NOM", "I-PER.NOM" }, sentences[1].Tags.Skip(6).Take(2));
    }

    [Fact]
    public void SkipsDocStartAndReadsChosenColumnsOfASpaceSeparatedFile()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("c.txt"),
            "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\n-DOCSTART- -X- -X- O\nBlackburn NNP B-NP B-PER\n");
        var sentences = ConllReader.Read(temp.File("c.txt"), new ConllOptions { TokenColumn = 0, TagColumn = 3 }).ToList();
        Assert.Equal(new[] { "EU rejects", "Peter", "Blackburn" }, sentences.Select(s => string.Join(' ', s.Words)));
        Assert.Equal(new[] { "B-ORG", "O" }, sentences[0].Tags);
        Assert.Equal(new[] { 3, 6, 8 }, sentences.Select(s => s.LineNumber));

        var pos = ConllReader.Read(temp.File("c.txt"), new ConllOptions { TagColumn = 1 }).First();
        Assert.Equal(new[] { "NNP", "VBZ" }, pos.Tags);
    }

    [Fact]
    public void TabSeparatedTokensMayHoldSpacesAndCrlfIsFine()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("c.tsv"), "New York\tB-LOC\r\n\u3000\tO\r\n\r\nx\tO\r\n");
        var sentences = ConllReader.Read(temp.File("c.tsv")).ToList();
        Assert.Equal(new[] { "New York", "\u3000" }, sentences[0].Words);
        Assert.Equal(new[] { "B-LOC", "O" }, sentences[0].Tags);
        Assert.Single(sentences[1].Words);
    }

    [Fact]
    public void WrongColumnCountNamesFileAndLine()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("bad.conll"), "a\tO\nb\tO\n\nc\tB-X\textra\n");
        var e = Assert.Throws<DataException>(() => ConllReader.Read(temp.File("bad.conll")).ToList());
        Assert.Contains("bad.conll:4:", e.Message);
        Assert.Contains("found 3 column(s)", e.Message);
        Assert.Contains("expected 2 (as on line 1)", e.Message);

        File.WriteAllText(temp.File("one.conll"), "a\tO\nlonely\n");
        Assert.Contains("one.conll:2:", Assert.Throws<DataException>(() => ConllReader.Read(temp.File("one.conll")).ToList()).Message);

        var fixedCount = Assert.Throws<DataException>(() => ConllReader.Read(temp.File("one.conll"), new ConllOptions { ColumnCount = 3 }).ToList());
        Assert.Contains("one.conll:1:", fixedCount.Message);
    }

    [Fact]
    public void ColumnsOutsideTheLineAreNamed()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("c.conll"), "a\tO\n");
        var e = Assert.Throws<DataException>(() => ConllReader.Read(temp.File("c.conll"), new ConllOptions { TagColumn = 5 }).ToList());
        Assert.Contains("tag column 5", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConllOptions { TokenColumn = -1 });
    }

    [Fact]
    public void EmptyFileIsAnEmptyDataset()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("e.conll"), "-DOCSTART- O\n\n\n");
        var e = Assert.Throws<DataException>(() => ConllReader.Read(temp.File("e.conll")).ToList());
        Assert.Contains("e.conll", e.Message);
        Assert.Contains("empty dataset", e.Message);
    }
}
