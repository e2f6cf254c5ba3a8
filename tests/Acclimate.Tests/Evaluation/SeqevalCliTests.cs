using System.CommandLine;
using Acclimate.Cli;
using Acclimate.Cli.Commands;
using Acclimate.Evaluation;

namespace Acclimate.Tests.Evaluation;

/// <summary>The <c>acclimate metrics seqeval</c> verb run on the golden fixture and on bad input.</summary>
public sealed class SeqevalCliTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("acclimate-seqeval-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void ScoresEveryFixtureCase()
    {
        var outPath = Path.Combine(dir, "out.jsonl");
        var stdout = new StringWriter();
        var code = CliApp.Run(["metrics", "seqeval", "--input", SeqevalFixture.CasesPath, "--output", outPath], stdout, new StringWriter());
        Assert.Equal(0, code);
        Assert.Contains($"wrote {SeqevalFixture.CaseCount} reports", stdout.ToString());

        var written = SeqevalCaseFile.Read(outPath).ToArray();
        Assert.Equal(SeqevalFixture.CaseCount, written.Length);
        var matched = 0;
        foreach (var line in written)
        {
            var expected = SeqevalFixture.Case(line.Id!);
            // Compare the CLI's written report against the fixture's, through the fixture's comparison.
            var asCase = expected with { Json = line.Json };
            var report = Seqeval.Evaluate(expected.YTrue, expected.YPred, expected.Mode, expected.Scheme);
            Assert.Empty(SeqevalCaseFile.Differences(asCase, report));
            Assert.Empty(SeqevalCaseFile.Differences(expected, report));
            Assert.Equal(expected.Json["report"]!.ToJsonString(), line.Json["report"]!.ToJsonString());
            matched++;
        }
        Assert.Equal(SeqevalFixture.CaseCount, matched);
    }

    [Fact]
    public void OutputIsByteIdenticalToThePythonMadeFixture()
    {
        // Same keys in the same order, floats as Python's repr, NaN as "NaN", non-ASCII unescaped.
        var outPath = Path.Combine(dir, "out.jsonl");
        Assert.Equal(0, CliApp.Run(["metrics", "seqeval", "--input", SeqevalFixture.CasesPath, "--output", outPath], new StringWriter(), new StringWriter()));
        Assert.Equal(File.ReadAllText(SeqevalFixture.CasesPath), File.ReadAllText(outPath));
    }

    [Fact]
    public void CheckReportsAllMatching()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, CliApp.Run(["metrics", "seqeval", "--input", SeqevalFixture.CasesPath, "--check"], stdout, new StringWriter()));
        Assert.Contains("400/400 cases match", stdout.ToString());
    }

    [Fact]
    public void CheckFailsOnAWrongReport()
    {
        var line = File.ReadLines(SeqevalFixture.CasesPath).First(l => l.Contains("\"pub-0023-default\""));
        var tampered = line.Replace("\"accuracy\": ", "\"accuracy\": 0.01, \"was\": ");
        var input = Write("tampered.jsonl", tampered);
        var stdout = new StringWriter();
        Assert.Equal(1, CliApp.Run(["metrics", "seqeval", "--input", input, "--check"], stdout, new StringWriter()));
        Assert.Contains($"{input}:1 pub-0023-default: accuracy: expected 0.01", stdout.ToString());
        Assert.Contains("0/1 cases match", stdout.ToString());
    }

    [Fact]
    public void WritesToStandardOutputWithoutOutputFile()
    {
        var input = Write("one.jsonl", """{"y_true": [["B-PER", "I-PER", "O"]], "y_pred": [["B-PER", "I-PER", "O"]], "mode": "strict", "scheme": "IOBES"}""");
        var stdout = new StringWriter();
        Assert.Equal(0, CliApp.Run(["metrics", "seqeval", "--input", input], stdout, new StringWriter()));
        // Strict IOBES drops B-I-O without E-: no entity on either side, so macro is NaN.
        Assert.Equal(
            """{"y_true": [["B-PER", "I-PER", "O"]], "y_pred": [["B-PER", "I-PER", "O"]], "mode": "strict", "scheme": "IOBES", "report": {"micro avg": {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0}, "macro avg": {"precision": "NaN", "recall": "NaN", "f1-score": "NaN", "support": 0}, "weighted avg": {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0}}, "accuracy": 1.0}""" + Environment.NewLine,
            stdout.ToString());
    }

    [Theory]
    [InlineData("""{"y_true": [["B-PER"]], "y_pred": [["B-PER", "O"]]}""", "sentence 0 has 1 tags in y_true but 2 in y_pred")]
    [InlineData("""{"y_true": [["S-PER"]], "y_pred": [["O"]], "mode": "strict", "scheme": "IOB2"}""", "tag 'S-PER' is not valid in strict IOB2")]
    [InlineData("""{"y_true": [["O"]], "y_pred": [["O"]], "mode": "strict"}""", "strict mode needs field 'scheme'")]
    [InlineData("""{"y_true": [["O"]], "y_pred": [["O"]], "mode": "strict", "scheme": "IOBS"}""", "field 'scheme' is \"IOBS\"")]
    [InlineData("""{"y_true": [["O"]], "y_pred": [["O"]], "mode": "lenient"}""", "field 'mode' is \"lenient\"")]
    [InlineData("""{"y_true": [["O", 3]], "y_pred": [["O", "O"]]}""", "y_true[0][1] is the number 3")]
    [InlineData("""{"y_pred": [["O"]]}""", "field 'y_true' is missing")]
    [InlineData("""[1, 2]""", "expected a JSON object")]
    [InlineData("""{"y_true": [["O"]], """, "not valid JSON")]
    public void BadLinesNameFileAndLine(string badLine, string message)
    {
        var good = """{"y_true": [["B-PER"]], "y_pred": [["B-PER"]]}""";
        var input = Write("bad.jsonl", good + "\n\n" + badLine + "\n");
        var outPath = Path.Combine(dir, "out.jsonl");
        var (code, stderr) = RunVerb(["metrics", "seqeval", "--input", input, "--output", outPath]);
        Assert.Equal(2, code);
        Assert.Contains($"error: {input}:3: ", stderr);
        Assert.Contains(message, stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(File.Exists(outPath));
        Assert.Empty(Directory.GetFiles(dir, "out.jsonl*"));
    }

    [Fact]
    public void MissingInputFileIsBadInput()
    {
        var missing = Path.Combine(dir, "missing.jsonl");
        var (code, stderr) = RunVerb(["metrics", "seqeval", "--input", missing]);
        Assert.Equal(2, code);
        Assert.Contains($"{missing}: no such file", stderr);
        Assert.Equal(2, CliApp.Run(["metrics", "seqeval", "--input", missing], new StringWriter(), new StringWriter()));
    }

    [Fact]
    public void TablePrintsEachCase()
    {
        var input = Write("one.jsonl", """{"id": "x1", "y_true": [["B-PER", "O"]], "y_pred": [["B-PER", "O"]]}""");
        var stdout = new StringWriter();
        Assert.Equal(0, CliApp.Run(["metrics", "seqeval", "--input", input, "--table"], stdout, new StringWriter()));
        Assert.Contains($"{input}:1 x1 (default)", stdout.ToString());
        Assert.Contains("           PER     1.0000    1.0000    1.0000         1", stdout.ToString());
    }

    // Through CliApp, which maps Acclimate errors to "error: …" and exit code 2.
    private static (int Code, string Stderr) RunVerb(string[] args)
    {
        var stderr = new StringWriter();
        var code = CliApp.Run(args, new StringWriter(), stderr);
        return (code, stderr.ToString());
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
