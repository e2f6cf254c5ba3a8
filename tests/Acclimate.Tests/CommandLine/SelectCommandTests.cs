using Acclimate.Cli;

namespace Acclimate.Tests.CommandLine;

public sealed class SelectCommandTests
{
    private static readonly string[] Pool =
    {
        "The football match ended in a draw.",
        "Patients with chronic kidney disease were enrolled.",
        "Kidney disease and kidney failure in diabetic patients.",
        "The weather was fine and the patients went for a walk.",
    };

    [Fact]
    public void Bm25WritesTheSelectedPoolLinesBestFirstWithScores()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("target.txt"), new[] { "kidney disease in patients" });
        File.WriteAllLines(temp.File("pool.txt"), Pool);
        var stdout = new StringWriter();
        var code = CliApp.Run(["select", "--method", "bm25", "--target", temp.File("target.txt"), "--pool", temp.File("pool.txt"),
            "--output", temp.File("selected.txt"), "--top", "2", "--scores", temp.File("scores.tsv")], stdout, new StringWriter());
        Assert.Equal(0, code);
        Assert.Equal(new[] { Pool[2], Pool[1] }, File.ReadAllLines(temp.File("selected.txt")));
        var scores = File.ReadAllLines(temp.File("scores.tsv"));
        Assert.Equal("rank\tpool_line\tscore\ttarget_line", scores[0]);
        Assert.StartsWith("1\t3\t", scores[1]);
        Assert.EndsWith("\t1", scores[1]);
        Assert.Contains("selected 2 of 4 pool documents", stdout.ToString());
    }

    [Fact]
    public void MinWordsRemovesShortDocumentsBeforeSelectingSoEachTargetStillGetsKNeighbours()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("target.txt"), new[] { "kidney disease" });
        // The two-word line is the best BM25 match; with --k 1 and --min-words 3 the target must get the
        // best qualifying document instead of nothing.
        File.WriteAllLines(temp.File("pool.txt"), Pool.Prepend("Kidney disease."));
        var code = CliApp.Run(["select", "--method", "bm25", "--target", temp.File("target.txt"), "--pool", temp.File("pool.txt"),
            "--output", temp.File("selected.txt"), "--k", "1", "--scores", temp.File("scores.tsv")], new StringWriter(), new StringWriter());
        Assert.Equal(0, code);
        Assert.Equal(new[] { "Kidney disease." }, File.ReadAllLines(temp.File("selected.txt")));
        code = CliApp.Run(["select", "--method", "bm25", "--target", temp.File("target.txt"), "--pool", temp.File("pool.txt"),
            "--output", temp.File("selected.txt"), "--k", "1", "--min-words", "3", "--scores", temp.File("scores.tsv")], new StringWriter(), new StringWriter());
        Assert.Equal(0, code);
        Assert.Equal(new[] { Pool[2] }, File.ReadAllLines(temp.File("selected.txt")));
        Assert.StartsWith("1\t4\t", File.ReadAllLines(temp.File("scores.tsv"))[1]); // pool line numbers count the short line
        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["select", "--method", "bm25", "--target", temp.File("target.txt"), "--pool", temp.File("pool.txt"),
            "--output", temp.File("selected.txt"), "--min-words", "50"], new StringWriter(), stderr));
        Assert.Contains("no pool document has 50 or more words", stderr.ToString());
    }

    [Theory]
    [InlineData("xent", "--top N")]
    [InlineData("knn", "--model DIR")]
    [InlineData("tfidf", "expected knn, bm25, xent, dsir or classifier")]
    public void MissingOrWrongSettingsAreExitTwoWithTheReason(string method, string expected)
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("target.txt"), new[] { "kidney disease" });
        File.WriteAllLines(temp.File("pool.txt"), Pool);
        var stderr = new StringWriter();
        var code = CliApp.Run(["select", "--method", method, "--target", temp.File("target.txt"), "--pool", temp.File("pool.txt"),
            "--output", temp.File("selected.txt")], new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr.ToString());
        Assert.False(File.Exists(temp.File("selected.txt")));
    }

    [Fact]
    public void PlainFilesAreReadAsTextAndJsonlFilesByTheirTextField()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("plain.txt"), new[] { "{braces} open a tweet", "a second line" });
        Assert.Equal(new[] { "{braces} open a tweet", "a second line" }, Acclimate.Data.Corpora.InputTexts.Read(temp.File("plain.txt")));
        File.WriteAllLines(temp.File("rows.jsonl"), new[] { "{\"text\": \"first\"}", "", "{\"label\": 3}" });
        var e = Assert.Throws<Acclimate.Errors.DataException>(() => Acclimate.Data.Corpora.InputTexts.Read(temp.File("rows.jsonl")));
        Assert.Contains("rows.jsonl:3", e.Message);
        File.WriteAllLines(temp.File("ok.jsonl"), new[] { "{\"text\": \"first\"}", "{\"text\": \"second\", \"id\": 2}" });
        Assert.Equal(new[] { "first", "second" }, Acclimate.Data.Corpora.InputTexts.Read(temp.File("ok.jsonl")));
    }

    [Fact]
    public void AMissingPoolFileIsNamed()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("target.txt"), new[] { "kidney disease" });
        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["select", "--method", "bm25", "--target", temp.File("target.txt"), "--pool", temp.File("nope.txt"),
            "--output", temp.File("selected.txt")], new StringWriter(), stderr));
        Assert.Contains("nope.txt", stderr.ToString());
    }
}

/// <summary>The verbs that run a sentence encoder, on a tiny random one (2 layers, hidden 16).</summary>
public sealed class EncoderVerbTests : IClassFixture<Acclimate.Tests.FineTuning.FineTuneCliFixtureHolder>
{
    private readonly Acclimate.Tests.FineTuning.FineTuneCliFixture _fixture;

    public EncoderVerbTests(Acclimate.Tests.FineTuning.FineTuneCliFixtureHolder holder) => _fixture = holder.Fixture;

    [Fact]
    public void EmbedWritesOneUnitVectorPerLine()
    {
        var input = _fixture.Temp.File("embed-in.txt");
        File.WriteAllLines(input, new[] { "John lives in Paris .", "The cat sat on the mat ." });
        var output = _fixture.Temp.File("embed-out.jsonl");
        var stderr = new StringWriter();
        var stdout = new StringWriter();
        // The default backend (auto) exports the BERT encoder and runs it on ONNX Runtime after the parity check.
        Assert.Equal(0, CliApp.Run(["embed", "--model", _fixture.Encoder, "--input", input, "--output", output, "--device", "cpu", "--onnx-cache", _fixture.Temp.File("onnx-cache")], stdout, stderr));
        Assert.Contains("backend onnx (requested auto): parity held", stdout.ToString());
        Assert.EndsWith(" on onnx", stdout.ToString().TrimEnd());
        var rows = File.ReadAllLines(output).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!["embedding"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.All(rows, r => Assert.Equal(16, r.Length));
        Assert.All(rows, r => Assert.True(Math.Abs(1.0 - Math.Sqrt(r.Sum(v => v * v))) <= 1e-4));
    }

    [Fact]
    public void KnnSelectsEachTargetsNearestPoolLine()
    {
        var target = _fixture.Temp.File("knn-target.txt");
        var pool = _fixture.Temp.File("knn-pool.txt");
        // Identical text embeds identically, so each target's nearest pool line is its own copy.
        File.WriteAllLines(target, new[] { "Mary visited London .", "The cat sat on the mat ." });
        File.WriteAllLines(pool, new[] { "Nothing happened here .", "The cat sat on the mat .", "Bob met Anna in Berlin .", "Mary visited London ." });
        var selected = _fixture.Temp.File("knn-selected.txt");
        var stderr = new StringWriter();
        Assert.Equal(0, CliApp.Run(["select", "--method", "knn", "--model", _fixture.Encoder, "--target", target, "--pool", pool,
            "--output", selected, "--k", "1", "--block-size", "3", "--device", "cpu"], new StringWriter(), stderr));
        Assert.Equal(new[] { "Mary visited London .", "The cat sat on the mat ." }, File.ReadAllLines(selected).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void KnnCachesPoolEmbeddingsAndReadsThemBackForThatPoolOnly()
    {
        var target = _fixture.Temp.File("cache-target.txt");
        var pool = _fixture.Temp.File("cache-pool.txt");
        var cache = _fixture.Temp.File("cache-pool.npy");
        File.WriteAllLines(target, new[] { "Mary visited London ." });
        var lines = new[] { "Nothing happened here .", "The cat sat on the mat .", "Bob met Anna in Berlin .", "Mary visited London ." };
        File.WriteAllLines(pool, lines);
        string[] Select(string output, params string[] extra)
        {
            var stderr = new StringWriter();
            var code = CliApp.Run(["select", "--method", "knn", "--model", _fixture.Encoder, "--target", target, "--pool", pool,
                "--output", output, "--k", "1", "--block-size", "3", "--device", "cpu", .. extra], new StringWriter(), stderr);
            Assert.True(code == 0, stderr.ToString());
            return File.ReadAllLines(output);
        }
        Assert.Equal(new[] { "Mary visited London ." }, Select(_fixture.Temp.File("cache-a.txt"), "--pool-embeddings", cache));
        using (var reader = Acclimate.IO.NpyMatrixFile.Open(cache)) Assert.Equal((4L, 16), (reader.Rows, reader.Columns));
        Assert.True(File.Exists(cache + ".json"));

        // The second selection reads the cache rather than the model: swap rows 0 and 3 in it and
        // the target's nearest line becomes line 0.
        var rows = new List<float[]>();
        using (var reader = Acclimate.IO.NpyMatrixFile.Open(cache))
            foreach (var (values, n) in reader.Blocks(1)) rows.Add(values[..16]);
        (rows[0], rows[3]) = (rows[3], rows[0]);
        using (var writer = Acclimate.IO.NpyMatrixFile.Create(cache, 4, 16))
        {
            foreach (var r in rows) writer.Append(r);
            writer.Commit();
        }
        Assert.Equal(new[] { "Nothing happened here ." }, Select(_fixture.Temp.File("cache-b.txt"), "--pool-embeddings", cache));

        // Another pool (one line changed) is refused, naming the cache file.
        File.WriteAllLines(pool, lines.Append("A fifth line ."));
        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["select", "--method", "knn", "--model", _fixture.Encoder, "--target", target, "--pool", pool,
            "--output", _fixture.Temp.File("cache-c.txt"), "--pool-embeddings", cache, "--device", "cpu"], new StringWriter(), stderr));
        Assert.Contains("cache-pool.npy was embedded from another pool", stderr.ToString());
    }
}
