using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Errors;
using Acclimate.IO;
using Acclimate.Pretraining.Forgetting;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.Pretraining;

/// <summary>
/// The head warm-up phase (<c>model.head_warmup_steps</c>): only the MLM head's own parameters train
/// (the encoder and the word embeddings its decoder is tied to stay frozen), with their own optimizer
/// and schedule; nothing is checkpointed (a killed run repeats the phase). An encoder-only checkpoint
/// gets a fresh head, whose random gradients would otherwise flow into the pretrained encoder.
/// </summary>
internal static class HeadWarmup
{
    /// <summary>Runs the phase and writes head_warmup.json (held-out perplexity before and after it).</summary>
    public static void Run(PretrainingRecipe r, PretrainingModel model, ITrainableModel trainable, PretrainingBatchSource source,
        Func<PretrainingBatch, Tensor> step, ForgettingReport report, RunFolder run, TextWriter log, bool progressBars)
    {
        var untrained = report.ScoreAll();
        var mlm = model.Mlm ?? throw new ConfigException("model.head_warmup_steps applies to MLM objectives; ELECTRA's heads start together.");
        var tied = mlm.Encoder.Embeddings.WordEmbeddingWeight.Handle;
        var head = mlm.named_parameters()
            .Where(p => !p.name.StartsWith(mlm.BackboneName + ".", StringComparison.Ordinal) && p.parameter.Handle != tied)
            .ToList();
        if (head.Count == 0) throw new ConfigException("model.head_warmup_steps: the model has no head parameters of its own to train.");
        var headHandles = head.Select(p => p.parameter.Handle).ToHashSet();
        var frozen = mlm.parameters().Where(p => p.requires_grad && !headHandles.Contains(p.Handle)).ToList();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"head warm-up: {r.Model.HeadWarmupSteps} updates of the MLM head alone ({head.Sum(p => p.parameter.numel()):N0} parameters: {string.Join(", ", head.Select(p => p.name))}), encoder frozen, learning rate {r.Model.HeadWarmupLearningRate:G3}"));
        foreach (var p in frozen) p.requires_grad_(false);
        try
        {
            var options = r.Training with
            {
                MaxSteps = r.Model.HeadWarmupSteps, LearningRate = r.Model.HeadWarmupLearningRate,
                WarmupSteps = 0, WarmupRatio = 0.1, EvalEvery = 0, SaveEvery = 0, EarlyStoppingPatience = 0,
            };
            using var optimizer = AdamWOptimizer.Create(head, AdamWSettings.From(options));
            var loop = new TrainingLoop<PretrainingBatch>(options, trainable, optimizer, source, step)
            {
                CountTokens = b => b.Tokens,
                Progress = new ConsoleTrainingProgress(new PrefixedWriter(log, "head warm-up | "), progressBars),
            };
            loop.Train();
        }
        finally
        {
            foreach (var p in frozen) p.requires_grad_(true);
        }
        var after = report.ScoreAll();
        foreach (var (name, score) in after)
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"after head warm-up, {name} held-out perplexity {score.Perplexity:F2} (loss {score.Loss:F4})"));
        Write(run, r, untrained, after);
    }

    /// <summary>head_warmup.json in the run folder: held-out perplexity before and after the head warm-up.</summary>
    private static void Write(RunFolder run, PretrainingRecipe r, IReadOnlyDictionary<string, MlmScore> before, IReadOnlyDictionary<string, MlmScore> after)
    {
        var sets = new JsonObject();
        foreach (var (name, score) in after)
            sets[name] = new JsonObject
            {
                ["perplexity_before"] = before.TryGetValue(name, out var b) ? b.Perplexity : null,
                ["perplexity_after"] = score.Perplexity,
                ["loss_after"] = score.Loss,
            };
        AtomicFile.WriteAllText(Path.Combine(run.Path, "head_warmup.json"), new JsonObject
        {
            ["steps"] = r.Model.HeadWarmupSteps,
            ["learning_rate"] = r.Model.HeadWarmupLearningRate,
            ["held_out"] = sets,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Prefixes every line written through it (the warm-up's progress lines).</summary>
    private sealed class PrefixedWriter(TextWriter inner, string prefix) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;
        public override void WriteLine(string? value) => inner.WriteLine(prefix + value);
        public override void Write(char value) => inner.Write(value);
    }
}
