using System.Diagnostics;
using System.Globalization;
using System.Text;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.Pretraining;
using Acclimate.Training;
using Spectre.Console;

namespace Acclimate.Demos;

/// <summary>A demo stage's outcome that names its folder and how long it took when it ran.</summary>
public interface IDemoStage
{
    /// <summary>The stage's identity (<see cref="DemoStageRunner.Identity{T}"/>) when it ran; a rerun reuses it only when unchanged.</summary>
    string Recipe { get; }
    string Folder { get; }
    double Seconds { get; }
}

/// <summary>
/// Runs a demo's stages one after another: prints each stage's heading and time, keeps the wall
/// time per stage for the report, and reuses a finished stage whose recipe is unchanged (its
/// <c>demo-stage.json</c> marker is written last, so an interrupted stage is started over, never
/// half reused). Also the report's shared building blocks: headings, tables, relative links.
/// </summary>
public sealed class DemoStageRunner
{
    private readonly IAnsiConsole _console;
    private readonly TextWriter _log;
    private readonly string _recipeSource;
    private readonly List<(string Stage, double Seconds, string Note)> _times = new();
    private readonly HashSet<string> _reused = new(StringComparer.Ordinal);

    public DemoStageRunner(string outputDir, string recipeSource, IAnsiConsole console, TextWriter log)
    {
        OutputDir = Path.GetFullPath(outputDir);
        _recipeSource = recipeSource;
        _console = console;
        _log = log;
    }

    public string OutputDir { get; }

    /// <summary>Wall time of the stages that were reused, as they took when they ran.</summary>
    public double ReusedSeconds { get; private set; }

    public IReadOnlyList<(string Stage, double Seconds, string Note)> Times => _times;

    /// <summary>Runs one stage and records its wall time (or, when it was reused, the time it took when it ran).</summary>
    public T Stage<T>(string name, Func<T> work, string note = "")
    {
        _console.WriteLine();
        _console.MarkupLine($"[bold]== {Markup.Escape(name)} ==[/]");
        var clock = Stopwatch.StartNew();
        var result = work();
        double? original = result is IDemoStage s && _reused.Contains(s.Folder) ? s.Seconds : null;
        ReusedSeconds += original ?? 0;
        _times.Add((name, clock.Elapsed.TotalSeconds, original is double o
            ? string.Create(CultureInfo.InvariantCulture, $"finished stage reused (recipe unchanged; it took {o:F1} s when it ran)") : note));
        _console.MarkupLine($"[grey]{Markup.Escape(name)}: {clock.Elapsed.TotalSeconds:F1} s[/]");
        return result;
    }

    /// <summary>
    /// The stage recorded in <paramref name="folder"/> when it finished with exactly
    /// <paramref name="identity"/> (see <see cref="Identity{T}"/>; marked as reused); otherwise null, and
    /// any leftover of an interrupted or changed run in the folder is removed so the stage starts clean.
    /// </summary>
    public T? Reuse<T>(string folder, string identity, Func<T, string> recipeOf, Func<T, bool>? stillThere = null) where T : class, IDemoStage
    {
        if (DemoStageFile.TryRead(folder, identity, recipeOf) is { } done && (stillThere?.Invoke(done) ?? true))
        {
            _reused.Add(done.Folder);
            _log.WriteLine($"{Path.GetFileName(folder)}: finished earlier with the same recipe; reusing {folder} (delete it to run again)");
            return done;
        }
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        return null;
    }

    /// <summary>
    /// What a stage is, as text, for deciding whether a finished stage can be reused: the whole
    /// recipe in YAML (every setting, defaults included) under a line fingerprinting what it was
    /// built on, so a changed setting or a changed upstream stage reruns it.
    /// </summary>
    public static string Identity<T>(T recipe, string upstream) where T : class =>
        $"# built on: {DemoFormat.Fingerprint(upstream)}\n" + Recipe.From(recipe).ToYaml();

    /// <summary>A pretraining stage in <c>OutputDir/name</c> from <paramref name="recipe"/>, built on <paramref name="upstream"/>.</summary>
    public DemoPretrainStage Pretrain(string name, PretrainingRecipe recipe, string upstream)
    {
        var identity = Identity(recipe, upstream);
        var folder = Path.Combine(OutputDir, name);
        if (Reuse<DemoPretrainStage>(folder, identity, s => s.Recipe, s => Directory.Exists(s.ModelFolder)) is { } done) return done;
        // Bound and checked like a recipe file (what the typed PretrainingRun constructor does too), but an
        // invalid setting is reported against this stage and the demo's recipe instead of "(PretrainingRecipe)".
        var bound = Recipe.From(recipe, $"demo stage '{name}' (from {_recipeSource})");
        var clock = Stopwatch.StartNew();
        var result = new PretrainingRun(bound, _log) { ProgressBars = true }.Execute();
        var seconds = clock.Elapsed.TotalSeconds;
        var records = MetricsLog.Read(Path.Combine(result.RunFolder, "metrics.jsonl"));
        var losses = records.Where(r => !r.IsEvaluation && r.Get("loss") is not null).ToList();
        var stage = new DemoPretrainStage(identity, result.RunFolder, result.ModelFolder, result.Training.GlobalStep, seconds,
            result.Training.TrainingTime.TotalSeconds,
            result.Forgetting.Select(r => new DemoHeldOut(r.Set, r.Before.Loss, r.After.Loss)).ToList(),
            losses.Select(r => (double)r.Step).ToList(), losses.Select(r => r.Get("loss")!.Value).ToList());
        DemoStageFile.Write(folder, stage);
        return stage;
    }

    /// <summary>
    /// A tagging stage in <c>OutputDir/name</c> from <paramref name="recipe"/>, built on
    /// <paramref name="upstream"/>: reused when it finished with the same identity; otherwise bound
    /// and checked like a recipe file before any work (an invalid setting names this stage and the
    /// demo's recipe), run with <paramref name="onEpoch"/> seeing each dev evaluation, and recorded as
    /// <paramref name="record"/> makes it from its identity, the run's result and its wall seconds.
    /// </summary>
    public T Tag<T>(string name, FineTuneRecipe recipe, string upstream, Action<EpochEvaluation> onEpoch,
        Func<string, FineTuneResult, double, T> record, bool progressBar = false) where T : class, IDemoStage
    {
        var identity = Identity(recipe, upstream);
        var folder = Path.Combine(OutputDir, name);
        if (Reuse<T>(folder, identity, s => s.Recipe) is { } done) return done;
        var bound = Recipe.From(recipe, $"demo stage '{name}' (from {_recipeSource})");
        var options = FineTuneRecipe.From(bound);
        var run = RunFolder.At(folder);
        run.SaveRecipe(bound);
        var clock = Stopwatch.StartNew();
        var result = new FineTuningRun(options, run) { Log = _log, Progress = new ConsoleTrainingProgress(_log, progressBar), EpochEvaluated = onEpoch }.Execute();
        var stage = record(identity, result, clock.Elapsed.TotalSeconds);
        DemoStageFile.Write(folder, stage);
        return stage;
    }

    public void Heading(StringBuilder body, string title, string text)
    {
        _console.MarkupLine($"[bold]{Markup.Escape(title)}[/]");
        body.AppendLine($"## {title}");
        body.AppendLine();
        body.AppendLine(text);
        body.AppendLine();
    }

    /// <summary>Prints the table to the console and appends it to the report.</summary>
    public void Emit(StringBuilder body, MarkdownTable table)
    {
        _console.Write(table.ToConsole());
        body.AppendLine(table.ToMarkdown());
    }

    /// <summary>The wall-time table: one row per stage and the total.</summary>
    public MarkdownTable TimesTable(double totalSeconds)
    {
        var times = new MarkdownTable("stage", "seconds", "note");
        foreach (var (stage, s, note) in _times) times.Add(stage, s.ToString("F1", CultureInfo.InvariantCulture), note);
        times.Add("**total**", totalSeconds.ToString("F1", CultureInfo.InvariantCulture), "");
        return times;
    }

    /// <summary>
    /// The whole report.md: title, the run line (date, quick mode, cores, threads, device, seed, wall
    /// time, reuse), <paramref name="pipeline"/>, an optional one-line answer, the wall time per stage,
    /// <paramref name="body"/>, and the settings with the resolved recipe.
    /// </summary>
    public string ComposeReport(string title, string pipeline, string? headline, StringBuilder body, Recipe recipe, DemoRunOptions o, int threads, double seconds, string runNote = "")
    {
        var report = new StringBuilder();
        report.AppendLine($"# {title}");
        report.AppendLine();
        var reusedNote = ReusedSeconds > 0 ? $" (finished stages were reused from an earlier run; they took {DemoFormat.Duration(ReusedSeconds)} when they ran)" : "";
        report.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(o.Quick ? " in **quick mode** (tiny sizes: the numbers are not meaningful)" : "")}; " +
            $"{Environment.ProcessorCount} cores, {threads} torch thread(s), device {o.Device}, seed {o.Seed}. Total wall time **{DemoFormat.Duration(seconds)}**{reusedNote}.{runNote}"));
        report.AppendLine();
        report.AppendLine(pipeline);
        report.AppendLine();
        if (!string.IsNullOrEmpty(headline))
        {
            report.AppendLine($"> **In one line:** {headline}");
            report.AppendLine();
        }
        report.AppendLine("## Wall time per stage");
        report.AppendLine();
        report.Append(TimesTable(seconds).ToMarkdown()).AppendLine();
        report.Append(body);
        report.AppendLine("## Settings");
        report.AppendLine();
        report.AppendLine($"From `{o.RecipePath}` (resolved copy: [demo-recipe.yaml](demo-recipe.yaml)); every stage's full recipe is in its run folder (`recipe.yaml`). " +
                          $"Command line: threads {o.Threads} (0 = physical cores), device {o.Device}, seed {o.Seed}{(o.Quick ? ", --quick" : "")}.");
        report.AppendLine();
        report.AppendLine("```yaml");
        report.Append(recipe.ToYaml());
        report.AppendLine("```");
        return report.ToString();
    }

    /// <summary>A path relative to the report, with forward slashes.</summary>
    public string Rel(string path) => Path.GetRelativePath(OutputDir, path).Replace('\\', '/');
}
