using System.Text.Json;
using Acclimate.Checkpoints;
using Acclimate.IO;

namespace Acclimate.Demos;

/// <summary>Held-out MLM score of one set before and after a pretraining stage.</summary>
public sealed record DemoHeldOut(string Set, double LossBefore, double LossAfter)
{
    public double PerplexityBefore => Math.Exp(LossBefore);
    public double PerplexityAfter => Math.Exp(LossAfter);
    public double Change => PerplexityAfter / PerplexityBefore - 1;
}

/// <summary>What one pretraining stage produced (kept in the stage folder so a rerun can reuse a finished stage).</summary>
public sealed record DemoPretrainStage(string Recipe, string Folder, string ModelFolder, long Steps, double Seconds, double TrainSeconds,
    IReadOnlyList<DemoHeldOut> HeldOut, IReadOnlyList<double> LossSteps, IReadOnlyList<double> Losses) : IDemoStage
{
    public DemoHeldOut? Set(string name) => HeldOut.FirstOrDefault(h => h.Set == name);
}

/// <summary>One epoch of a fine-tuning stage.</summary>
public sealed record DemoEpoch(int Epoch, long Step, double TrainLoss, double DevAccuracy, bool IsBest);

/// <summary>What one fine-tuning stage produced.</summary>
public sealed record DemoFinetuneStage(string Recipe, string Encoder, string Folder, double Seconds, IReadOnlyList<DemoEpoch> Epochs,
    double DevAccuracy, double? TestAccuracy, double DevMacroF1, double? TestMacroF1, long BestStep, int Labels) : IDemoStage;

/// <summary>One epoch of a NER fine-tuning stage: dev entity F1.</summary>
public sealed record DemoNerEpoch(int Epoch, long Step, double TrainLoss, double DevF1, bool IsBest);

/// <summary>What one NER fine-tuning stage produced (best epoch on dev, scored once on test).</summary>
public sealed record DemoNerStage(string Recipe, string Encoder, int Seed, string Folder, double Seconds, IReadOnlyList<DemoNerEpoch> Epochs,
    double DevF1, double TestF1, double TestPrecision, double TestRecall, long BestStep) : IDemoStage;

/// <summary>Reads and writes the <c>demo-stage.json</c> marker of a finished stage.</summary>
public static class DemoStageFile
{
    public const string FileName = "demo-stage.json";
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>The stage recorded in <paramref name="folder"/> when it finished with exactly <paramref name="recipe"/>; null otherwise.</summary>
    public static T? TryRead<T>(string folder, string recipe, Func<T, string> recipeOf) where T : class
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var stage = JsonSerializer.Deserialize<T>(File.ReadAllText(path));
            return stage is not null && recipeOf(stage) == recipe ? stage : null;
        }
        catch (JsonException)
        {
            return null;   // a damaged marker means: run the stage again
        }
    }

    public static void Write<T>(string folder, T stage) =>
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(stage, Options) + "\n");
}
