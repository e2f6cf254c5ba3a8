using System.Diagnostics;
using System.Globalization;
using System.Text;
using Acclimate.Checkpoints;
using Acclimate.Models;
using Acclimate.Runtime;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Demos;

/// <summary>
/// The foundation checks, the first section of <c>acclimate demo</c>: every bundled HuggingFace
/// reference model is loaded, run and compared with HuggingFace's own outputs, saved and reloaded,
/// and trained for a few steps; the bundled golden tokenizer cases are encoded with five real
/// vocabularies. Tables go to the console and to the demo's report.
/// </summary>
public sealed class FoundationDemo
{
    private static readonly string[] ModelFixtures =
        { "bert", "bert-token-cls", "bert-seq-cls", "roberta", "albert", "electra-discriminator", "electra-generator" };

    private readonly string _fixtures;
    private readonly string _outDir;
    private readonly IAnsiConsole _console;
    private StringBuilder _report = new();
    private string _headingPrefix = "##";

    public FoundationDemo(string fixturesDir, string outDir, IAnsiConsole console)
    {
        _fixtures = fixturesDir;
        _outDir = outDir;
        _console = console;
    }

    /// <summary>
    /// Runs the four checks, writing their tables to the console and, as Markdown with headings of
    /// <paramref name="headingPrefix"/>, to <paramref name="report"/>; true when every check passed.
    /// </summary>
    public bool RunChecks(StringBuilder report, string headingPrefix = "##")
    {
        ArgumentNullException.ThrowIfNull(report);
        TorchRuntime.EnsureInitialized();
        Directory.CreateDirectory(_outDir);
        _report = report;
        _headingPrefix = headingPrefix;
        var clock = Stopwatch.StartNew();
        var ok = Parity();
        ok &= RoundTrip();
        ok &= Training();
        ok &= FoundationDemoTokenizers.Run(_fixtures, _console, _report);
        _report.AppendLine($"Foundation checks: {clock.Elapsed.TotalSeconds:F1} s, {(ok ? "all passed" : "SOME CHECKS FAILED")}. Reference values come from HuggingFace transformers and tokenizers (see tests/fixtures/*/PROVENANCE.md).");
        _report.AppendLine();
        _console.MarkupLine(ok ? "[green]All foundation checks passed.[/]" : "[red]Some foundation checks failed.[/]");
        return ok;
    }

    private bool Parity()
    {
        Section("1.1 Numerical parity with HuggingFace",
            "Each model folder is loaded from config.json + model.safetensors and run in eval mode on the fixture batches; " +
            "every tensor HuggingFace produced (all hidden states, pooler, logits, loss) is compared. Tolerances: 1e-5 for hidden states, 1e-4 for logits and losses.");
        var table = new MarkdownTable("model", "architecture", "tensors", "max |Δ| hidden", "max |Δ| logits/loss", "result");
        var ok = true;
        foreach (var fixture in ModelFixtures)
        {
            var folder = Path.Combine(_fixtures, "hf-parity", fixture);
            var results = ParityCheck.Run(folder, Path.Combine(folder, "inputs.json"), Path.Combine(folder, "expected.safetensors"));
            var hidden = results.Where(r => r.Tolerance <= 1e-5).Select(r => r.MaxAbsDiff).DefaultIfEmpty(0).Max();
            var heads = results.Where(r => r.Tolerance > 1e-5).Select(r => r.MaxAbsDiff).DefaultIfEmpty(0).Max();
            var passed = results.All(r => r.Passed);
            ok &= passed;
            table.Add(fixture, EncoderConfig.Load(Path.Combine(folder, "config.json")).Architectures.FirstOrDefault() ?? "?",
                results.Count, Sci(hidden), Sci(heads), passed ? "pass" : "FAIL");
        }
        Emit(table);
        return ok;
    }

    private bool RoundTrip()
    {
        Section("1.2 Save → load round trip",
            "Each model is saved as a HuggingFace folder (atomic writes) and loaded back; every tensor must be bit-identical and the key report empty.");
        var table = new MarkdownTable("model", "tensors", "bytes written", "bit-identical", "missing/unexpected");
        var ok = true;
        foreach (var fixture in ModelFixtures)
        {
            var (model, _) = PretrainedModel.Load(Path.Combine(_fixtures, "hf-parity", fixture));
            using var _m = model;
            var target = Path.Combine(_outDir, "roundtrip", fixture);
            PretrainedModel.Save(model, target);
            var (reloaded, report) = PretrainedModel.Load(target);
            using var _r = reloaded;
            var before = model.CheckpointState();
            var after = reloaded.CheckpointState();
            var identical = before.Count == after.Count && before.All(kv => after.TryGetValue(kv.Key, out var t) && SameBits(kv.Value, t));
            ok &= identical && report.IsExactMatch;
            table.Add(fixture, before.Count, new FileInfo(Path.Combine(target, PretrainedModel.WeightsFileName)).Length.ToString("N0", CultureInfo.InvariantCulture),
                identical ? "yes" : "NO", $"{report.MissingKeys.Count}/{report.UnexpectedKeys.Count}");
        }
        Emit(table);
        return ok;
    }

    private bool Training()
    {
        Section("1.3 Training works",
            "Five Adam steps (lr 1e-3, dropout off) on the first fixture batch with its labels; the head's own HuggingFace loss must go down.");
        var table = new MarkdownTable("model", "loss", "loss before", "loss after 5 steps", "result");
        var ok = true;
        foreach (var fixture in ModelFixtures)
        {
            var folder = Path.Combine(_fixtures, "hf-parity", fixture);
            var (model, _) = PretrainedModel.Load(folder);
            using var _m = model;
            model.eval();
            var batch = ModelInputsFile.Read(Path.Combine(folder, "inputs.json"))[0];
            using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
            float Loss()
            {
                using var scope = NewDisposeScope();
                using var _g = no_grad();
                return model.Forward(batch).Loss!.item<float>();
            }
            var before = Loss();
            for (var i = 0; i < 5; i++)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                model.Forward(batch).Loss!.backward();
                optimizer.step();
            }
            var after = Loss();
            var down = after < before;
            ok &= down;
            table.Add(fixture, LossName(model), before.ToString("F4", CultureInfo.InvariantCulture), after.ToString("F4", CultureInfo.InvariantCulture), down ? "down" : "NOT DOWN");
        }
        Emit(table);
        return ok;
    }

    private static string LossName(TransformerModel model) => model switch
    {
        MaskedLmModel { Task: ModelTask.PreTraining } m => $"MLM + {m.Config.Family.SentenceObjective}",
        MaskedLmModel => "MLM",
        ElectraDiscriminatorModel => "replaced-token BCE",
        TokenClassificationModel => "token CE",
        _ => "sequence CE",
    };

    private void Section(string title, string description)
    {
        _console.WriteLine();
        _console.MarkupLine($"[bold]{Markup.Escape(title)}[/]");
        _report.AppendLine($"{_headingPrefix} {title}");
        _report.AppendLine();
        _report.AppendLine(description);
        _report.AppendLine();
    }

    private void Emit(MarkdownTable table)
    {
        _console.Write(table.ToConsole());
        _report.AppendLine(table.ToMarkdown());
    }

    internal static string Sci(double value) => value.ToString("0.0E+0", CultureInfo.InvariantCulture);

    private static bool SameBits(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var ca = a.contiguous();
        using var cb = b.contiguous();
        return ca.bytes.SequenceEqual(cb.bytes);
    }
}
