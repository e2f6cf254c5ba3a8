using Acclimate.Cli;
using Acclimate.Pretraining;
using Acclimate.Runtime;
using Acclimate.Tests.Pretraining;
using Acclimate.Tests.Training;
using Xunit.Abstractions;

namespace Acclimate.Tests.CommandLine;

/// <summary>
/// <c>acclimate frontier</c> end to end on tiny models: a start pretrained on one word set, "plain"
/// continued twice on another (two seeds) and a lighter continuation; its losses are eval-mlm's, it
/// scores each model once, and bad input exits 2 naming the problem.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class FrontierCommandTests
{
    private readonly ITestOutputHelper _output;

    public FrontierCommandTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureInitialized();
    }

    private static readonly string[] GeneralWords = { "the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "park", "and", "saw", "bird", "in", "tree", "we" };
    private static readonly string[] DomainWords = { "protein", "cell", "gene", "binding", "mutation", "tumor", "receptor", "kinase", "dose", "patients", "therapy", "expression" };

    private static string Corpus(TempFolder temp, string name, string[] words, int lines, int seed)
    {
        var random = new Random(seed);
        var path = temp.File(name);
        File.WriteAllLines(path, Enumerable.Range(0, lines).Select(_ => string.Join(" ", Enumerable.Range(0, random.Next(6, 12)).Select(_ => words[random.Next(words.Length)])) + "."));
        return path;
    }

    private static string Pretrain(TempFolder temp, string name, string init, string train, int steps, int seed)
    {
        var yaml = $"""
            run:
              folder: {temp.File(name)}
              token_cache: {temp.File("tokens")}
            model:
              {init}
            data:
              train: {train}
              block_size: 16
            training:
              batch_size: 4
              learning_rate: 3e-3
              max_steps: {steps}
              log_every: 10
              threads: 1
              seed: {seed}
            """;
        return new PretrainingRun(Acclimate.Training.Recipe.Parse(yaml, name + ".yaml"), TextWriter.Null).Execute().ModelFolder;
    }

    [Fact]
    public void DrawsTheFrontierFromEvalMlmLossesAndScoresEachModelOnce()
    {
        using var temp = TestPaths.NewTempFolder();
        var general = Corpus(temp, "general.txt", GeneralWords, 60, 1);
        var domain = Corpus(temp, "domain.txt", DomainWords, 60, 2);
        var generalHeldOut = Corpus(temp, "general-heldout.txt", GeneralWords, 20, 3);
        var domainHeldOut = Corpus(temp, "domain-heldout.txt", DomainWords, 20, 4);
        var tiny = $"tokenizer: {PretrainingRunTests.BertTokenizer}\n  architecture: bert\n  hidden_size: 32\n  num_layers: 2\n  num_heads: 4\n  intermediate_size: 48\n  max_position_embeddings: 64";
        var start = Pretrain(temp, "start", tiny, general, 200, 1);
        var plain1 = Pretrain(temp, "plain-1", $"init: {start}", domain, 60, 1);
        var plain2 = Pretrain(temp, "plain-2", $"init: {start}", domain, 60, 2);
        var light = Pretrain(temp, "light", $"init: {start}", domain, 5, 1);

        var outDir = temp.File("frontier");
        string[] Args() => new[]
        {
            "frontier", "--start", start, "--model", $"plain={plain1}", "--model", $"plain={plain2}", "--model", $"light={light}",
            "--domain", domainHeldOut, "--general", generalHeldOut, "--out", outDir, "--block-size", "16", "--threads", "1", "--token-cache", temp.File("tokens"),
        };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.True(CliApp.Run(Args(), stdout, stderr) == 0, stderr.ToString());
        _output.WriteLine(stdout.ToString());
        Assert.Equal(8, stdout.ToString().Split('\n').Count(l => l.Contains(" masked tokens)")));
        var md = File.ReadAllText(Path.Combine(outDir, "frontier.md"));
        Assert.Contains("| plain | 2 |", md);
        Assert.Contains("| light | 1 |", md);
        Assert.True(File.Exists(Path.Combine(outDir, "frontier.png")));

        // The frontier's losses are eval-mlm's (same fixed masks).
        var row = File.ReadAllLines(Path.Combine(outDir, "frontier.tsv")).Single(l => l.StartsWith("light\t", StringComparison.Ordinal)).Split('\t');
        var evalOut = new StringWriter();
        Assert.Equal(0, CliApp.Run(new[] { "eval-mlm", "--model", light, "--corpus", domainHeldOut, "--block-size", "16", "--max-blocks", "256", "--threads", "1", "--token-cache", temp.File("tokens") }, evalOut, stderr));
        Assert.Contains($"loss {double.Parse(row[2], System.Globalization.CultureInfo.InvariantCulture):F4}", evalOut.ToString());

        // A second call reads every loss from OUT/losses.tsv.
        var again = new StringWriter();
        Assert.Equal(0, CliApp.Run(Args(), again, stderr));
        Assert.DoesNotContain(" masked tokens)", again.ToString());
        Assert.Equal(File.ReadAllText(Path.Combine(outDir, "frontier.md")), md);
    }

    [Fact]
    public void BadInputExitsTwoNamingTheProblem()
    {
        using var temp = TestPaths.NewTempFolder();
        var corpus = Corpus(temp, "c.txt", GeneralWords, 5, 1);
        var model = PretrainingRunTests.BertTokenizer;
        (int Code, string Err) Run(params string[] args)
        {
            var err = new StringWriter();
            return (CliApp.Run(args, new StringWriter(), err), err.ToString());
        }
        var noLabel = Run("frontier", "--start", model, "--model", model, "--domain", corpus, "--general", corpus, "--out", temp.File("o"));
        Assert.Equal(2, noLabel.Code);
        Assert.Contains("expected LABEL=FOLDER", noLabel.Err);
        var missing = Run("frontier", "--start", model, "--model", "plain=" + temp.File("nope"), "--domain", corpus, "--general", corpus, "--out", temp.File("o"));
        Assert.Equal(2, missing.Code);
        Assert.Contains("nope' does not exist", missing.Err);
        var noCorpus = Run("frontier", "--start", model, "--model", "plain=" + model, "--domain", temp.File("absent.txt"), "--general", corpus, "--out", temp.File("o"));
        Assert.Equal(2, noCorpus.Code);
        Assert.Contains("--domain: corpus", noCorpus.Err);
        Assert.False(Directory.Exists(temp.File("o")));
    }
}
