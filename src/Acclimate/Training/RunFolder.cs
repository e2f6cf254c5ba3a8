using System.Globalization;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Reporting;
using Acclimate.IO;

namespace Acclimate.Training;

/// <summary>
/// The folder one run writes everything into, so the run can be understood and reproduced from it
/// alone: <c>recipe.yaml</c> (the fully resolved recipe), <c>metrics.jsonl</c>, <c>events/</c>
/// (TensorBoard), <c>plots/</c> (PNG), <c>checkpoints/checkpoint-N/</c>, <c>best-model/</c> and
/// <c>report.md</c>.
/// </summary>
public sealed class RunFolder
{
    private RunFolder(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
    }

    /// <summary>The run's folder (absolute).</summary>
    public string Path { get; }

    /// <c>metrics.jsonl</c>: one JSON record per log or evaluation event.
    public string MetricsFile => Combine("metrics.jsonl");
    /// <summary>TensorBoard event files.</summary>
    public string EventsFolder => Combine("events");
    /// <summary>PNG plots of the run's curves.</summary>
    public string PlotsFolder => Combine("plots");
    /// <summary>Checkpoints with training state (<c>checkpoint-N</c>).</summary>
    public string CheckpointsFolder => Combine("checkpoints");
    /// <summary>The best model by the evaluation metric, an HF folder.</summary>
    public string BestModelFolder => Combine("best-model");
    /// <summary>The recipe the run was started with, every setting written out.</summary>
    public string RecipeFile => Combine("recipe.yaml");
    /// <summary>The run's Markdown report.</summary>
    public string ReportFile => Combine("report.md");

    /// <summary>
    /// A new folder <c>&lt;root&gt;/&lt;name&gt;-&lt;yyyyMMdd-HHmmss&gt;</c> (local time of
    /// <paramref name="now"/>, default now); a <c>-2</c>, <c>-3</c>… suffix keeps two runs started
    /// in the same second apart.
    /// </summary>
    public static RunFolder Create(string root, string name, DateTimeOffset? now = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0 || name.Contains('/') || name.Contains('\\'))
            throw new ConfigException($"run name '{name}' cannot be a folder name (use letters, digits, '-', '_', '.').");
        var stamp = (now ?? DateTimeOffset.Now).ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var baseName = System.IO.Path.Combine(root, $"{name}-{stamp}");
        var candidate = baseName;
        for (var n = 2; Directory.Exists(candidate); n++) candidate = $"{baseName}-{n}";
        return new RunFolder(candidate);
    }

    /// <summary>Uses <paramref name="path"/> as the run folder (created when missing; an existing run is continued).</summary>
    public static RunFolder At(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path)) throw new ConfigException($"{path}: is a file; a run folder must be a folder.");
        return new RunFolder(path);
    }

    /// <summary>The path of plot <paramref name="fileName"/> (the plots folder is created).</summary>
    public string Plot(string fileName)
    {
        Directory.CreateDirectory(PlotsFolder);
        return System.IO.Path.Combine(PlotsFolder, fileName);
    }

    /// <summary>Saves the fully resolved recipe as <c>recipe.yaml</c>.</summary>
    public void SaveRecipe(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        recipe.Save(RecipeFile);
    }

    /// <summary>Writes <c>report.md</c> atomically.</summary>
    public void WriteReport(MarkdownReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        AtomicFile.WriteAllText(ReportFile, report.ToMarkdown());
    }

    /// <summary>The newest checkpoint of this run, or null.</summary>
    public string? LatestCheckpoint() => CheckpointStore.Latest(CheckpointsFolder);

    /// <summary>A path relative to the run folder, with forward slashes (for links in report.md).</summary>
    public string Relative(string path) => System.IO.Path.GetRelativePath(Path, path).Replace('\\', '/');

    private string Combine(string name) => System.IO.Path.Combine(Path, name);
}
