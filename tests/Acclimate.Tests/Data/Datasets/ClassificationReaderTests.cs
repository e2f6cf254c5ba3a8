using Acclimate.Data.Datasets;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Datasets;

public sealed class ClassificationReaderTests
{
    [Fact]
    public void ReadsTheChemprotExcerpt()
    {
        var path = TestPaths.Fixture("data", "cls-domain", "chemprot-train.jsonl");
        var examples = ClassificationReader.Read(path).ToList();
        Assert.Equal(10, examples.Count);
        Assert.All(examples, e => Assert.Equal("INHIBITOR", e.Label));
        Assert.StartsWith("<< Epidermal growth factor receptor >> inhibitors currently under investigation include the small molecules [[ gefitinib ]]", examples[0].Text);
        Assert.Null(examples[0].TextPair);
        Assert.Equal(Enumerable.Range(1, 10), examples.Select(e => e.LineNumber));
    }

    [Fact]
    public void CsvHonoursRfc4180Quoting()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("d.csv"),
            "label,text,text_pair\n" +
            "pos,\"Hello, \"\"world\"\"\",second\n" +
            "\n" +
            "neg,\"two\nlines\",\n" +
            "neu,plain,\"\"\n");
        var examples = ClassificationReader.Read(temp.File("d.csv")).ToList();
        Assert.Equal(new[] { "Hello, \"world\"", "two\nlines", "plain" }, examples.Select(e => e.Text));
        Assert.Equal(new[] { "second", null, null }, examples.Select(e => e.TextPair));
        Assert.Equal(new[] { "pos", "neg", "neu" }, examples.Select(e => e.Label));
        Assert.Equal(new[] { 2, 4, 6 }, examples.Select(e => e.LineNumber));
    }

    [Fact]
    public void TsvSplitsOnTabsAndKeepsQuotesLiterally()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("d.tsv"), "text\tlabel\nHe said \"hi\tthere\"\t1\n");
        Assert.Throws<DataException>(() => ClassificationReader.Read(temp.File("d.tsv")).ToList()); // 3 fields: quotes do not protect the tab
        File.WriteAllText(temp.File("d.tsv"), "text\tlabel\nHe said \"hi\" twice\t1\n");
        var example = Assert.Single(ClassificationReader.Read(temp.File("d.tsv")));
        Assert.Equal("He said \"hi\" twice", example.Text);
        Assert.Equal("1", example.Label);
    }

    [Fact]
    public void JsonlNumericLabelsAndPairsAreText()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("d.jsonl"), "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"label\": 3}\n");
        var options = new ClassificationOptions { TextField = "sentence1", TextPairField = "sentence2" };
        var example = Assert.Single(ClassificationReader.Read(temp.File("d.jsonl"), options));
        Assert.Equal(("a", "b", "3"), (example.Text, example.TextPair, example.Label));
    }

    [Fact]
    public void HeaderRowIsRequired()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("d.csv"), "great movie,pos\nawful,neg\n");
        var e = Assert.Throws<DataException>(() => ClassificationReader.Read(temp.File("d.csv")).ToList());
        Assert.Contains("d.csv:1:", e.Message);
        Assert.Contains("header row has no 'text' column", e.Message);
    }

    [Fact]
    public void WrongFieldCountAndBadQuotesNameTheLine()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("a.csv"), "text,label\nok,pos\nnot,ok,pos\n");
        var e = Assert.Throws<DataException>(() => ClassificationReader.Read(temp.File("a.csv")).ToList());
        Assert.Contains("a.csv:3:", e.Message);
        Assert.Contains("found 3 field(s); expected 2", e.Message);

        File.WriteAllText(temp.File("b.csv"), "text,label\n\"never closed,pos\nmore,neg\n");
        Assert.Contains("b.csv:2:", Assert.Throws<DataException>(() => ClassificationReader.Read(temp.File("b.csv")).ToList()).Message);

        File.WriteAllText(temp.File("c.csv"), "text,label\nsay \"hi\",pos\n");
        Assert.Contains("quote inside an unquoted field", Assert.Throws<DataException>(() => ClassificationReader.Read(temp.File("c.csv")).ToList()).Message);

        File.WriteAllText(temp.File("d.csv"), "text,label\n\"quoted\"tail,pos\n");
        Assert.Contains("after a closing quote", Assert.Throws<DataException>(() => ClassificationReader.Read(temp.File("d.csv")).ToList()).Message);
    }

    [Fact]
    public void MissingOrEmptyLabelAndEmptyDatasetsAreErrors()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("m.jsonl"), "{\"text\": \"x\"}\n");
        Assert.Contains("m.jsonl:1: missing field 'label'", Assert.Throws<DataException>(() => ClassificationReader.Read(temp.File("m.jsonl")).ToList()).Message);
        File.WriteAllText(temp.File("e.csv"), "text,label\nsomething, \n");
        Assert.Contains("e.csv:2: empty 'label'", Assert.Throws<DataException>(() => ClassificationReader.Read(temp.File("e.csv")).ToList()).Message);
        File.WriteAllText(temp.File("h.csv"), "text,label\n");
        Assert.Contains("empty dataset", Assert.Throws<DataException>(() => ClassificationReader.Read(temp.File("h.csv")).ToList()).Message);
    }
}
