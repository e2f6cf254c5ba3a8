using Acclimate.Cli;

namespace Acclimate.Tests.CommandLine;

public sealed class DsirSelectCommandTests
{
    private static readonly string[] Pool =
    {
        "The football match ended in a draw after extra time.",
        "Patients with chronic kidney disease were enrolled in the trial.",
        "Kidney disease and kidney failure in diabetic patients.",
        "The weather was fine and the fans went for a walk.",
        "The coach praised the team after the league match.",
    };

    [Fact]
    public void DsirTopKWritesTheTargetLikeLinesAndTheirScores()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("target.txt"), new[] { "chronic kidney disease in diabetic patients", "kidney failure patients" });
        File.WriteAllLines(temp.File("pool.txt"), Pool);
        var stdout = new StringWriter();
        var code = CliApp.Run(["select", "--method", "dsir", "--top-k", "--target", temp.File("target.txt"), "--pool", temp.File("pool.txt"),
            "--output", temp.File("selected.txt"), "--top", "2", "--buckets", "5000", "--scores", temp.File("scores.tsv")], stdout, new StringWriter());
        Assert.Equal(0, code);
        Assert.Equal(new[] { Pool[1], Pool[2] }.Order(), File.ReadAllLines(temp.File("selected.txt")).Order());
        var scores = File.ReadAllLines(temp.File("scores.tsv"));
        Assert.Equal("rank\tpool_line\tscore\ttarget_line", scores[0]);
        Assert.Equal(3, scores.Length);
        Assert.Contains("selected 2 of 5 pool documents", stdout.ToString());
    }

    [Theory]
    [InlineData("dsir")]
    [InlineData("bm25")]
    public void ParquetAndGzipJsonlPoolsSelectWhatTheTextPoolSelects(string method)
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("target.txt"), new[] { "chronic kidney disease in diabetic patients", "kidney failure patients" });
        File.WriteAllLines(temp.File("pool.txt"), Pool);
        Acclimate.Tests.Data.Corpora.ParquetFixture.WriteTexts(temp.File("pool.parquet"), Pool, rowGroupSize: 2);
        using (var gz = new System.IO.Compression.GZipStream(File.Create(temp.File("pool.jsonl.gz")), System.IO.Compression.CompressionLevel.Fastest))
        using (var writer = new StreamWriter(gz))
            foreach (var line in Pool) writer.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { text = line, source = "test" }));
        string Select(string pool)
        {
            var stderr = new StringWriter();
            var code = CliApp.Run(["select", "--method", method, "--target", temp.File("target.txt"), "--pool", temp.File(pool),
                "--output", temp.File("selected.txt"), "--top", "2", "--k", "2", "--scores", temp.File("scores.tsv")], new StringWriter(), stderr);
            Assert.True(code == 0, stderr.ToString());
            return File.ReadAllText(temp.File("selected.txt")) + File.ReadAllText(temp.File("scores.tsv"));
        }
        var fromText = Select("pool.txt");
        Assert.Contains("Kidney disease and kidney failure", fromText);
        Assert.Equal(fromText, Select("pool.parquet"));
        Assert.Equal(fromText, Select("pool.jsonl.gz"));

        // A Parquet pool whose text column has another name: --text-field names it; without it the columns are listed.
        Acclimate.Tests.Data.Corpora.ParquetFixture.WriteTexts(temp.File("content.parquet"), Pool, rowGroupSize: 3, textColumn: "content");
        var stderr = new StringWriter();
        string[] args = ["select", "--method", method, "--target", temp.File("target.txt"), "--pool", temp.File("content.parquet"),
            "--output", temp.File("selected.txt"), "--top", "2", "--k", "2", "--scores", temp.File("scores.tsv")];
        Assert.Equal(2, CliApp.Run(args, new StringWriter(), stderr));
        Assert.Contains("no column 'text'; the file's columns are 'content' (string)", stderr.ToString());
        stderr = new StringWriter();
        Assert.True(CliApp.Run([.. args, "--text-field", "content"], new StringWriter(), stderr) == 0, stderr.ToString());
        Assert.Equal(fromText, File.ReadAllText(temp.File("selected.txt")) + File.ReadAllText(temp.File("scores.tsv")));
    }

    [Fact]
    public void DsirResamplingIsReproducibleFromTheSeed()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("target.txt"), new[] { "kidney disease patients" });
        File.WriteAllLines(temp.File("pool.txt"), Pool);
        string Run(string seed)
        {
            Assert.Equal(0, CliApp.Run(["select", "--method", "dsir", "--seed", seed, "--target", temp.File("target.txt"), "--pool", temp.File("pool.txt"),
                "--output", temp.File("selected.txt"), "--top", "3"], new StringWriter(), new StringWriter()));
            return File.ReadAllText(temp.File("selected.txt"));
        }
        Assert.Equal(Run("4"), Run("4"));
    }

    [Theory]
    [InlineData("--top", "0", "--top 0")]
    [InlineData("--pool", "missing.txt", "missing.txt: pool file not found")]
    [InlineData("--buckets", "0", "buckets 0")]
    [InlineData("--target", "blank.txt", "blank.txt: the target texts have no words")]
    public void DsirBadInputExitsWithTwoAndNamesTheProblem(string option, string value, string expected)
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("target.txt"), new[] { "kidney disease" });
        File.WriteAllLines(temp.File("blank.txt"), new[] { "...", " " });
        File.WriteAllLines(temp.File("pool.txt"), Pool);
        var arguments = new Dictionary<string, string>
        {
            ["--target"] = temp.File("target.txt"), ["--pool"] = temp.File("pool.txt"), ["--output"] = temp.File("selected.txt"), ["--top"] = "2",
        };
        arguments[option] = option is "--pool" or "--target" ? temp.File(value) : value;
        var stderr = new StringWriter();
        var code = CliApp.Run(["select", "--method", "dsir", .. arguments.SelectMany(a => new[] { a.Key, a.Value })], new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr.ToString());
    }

    [Theory]
    [InlineData("--top-k")]
    [InlineData("--buckets", "500")]
    public void DsirOptionsAreRefusedWithOtherMethods(params string[] dsirOption)
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("target.txt"), new[] { "kidney disease" });
        File.WriteAllLines(temp.File("pool.txt"), Pool);
        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["select", "--method", "bm25", .. dsirOption, "--target", temp.File("target.txt"), "--pool", temp.File("pool.txt"),
            "--output", temp.File("selected.txt")], new StringWriter(), stderr));
        Assert.Contains("--method dsir", stderr.ToString());
    }
}
