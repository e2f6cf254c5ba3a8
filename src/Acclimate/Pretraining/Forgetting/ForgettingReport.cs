using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.IO;
using Acclimate.Reporting;
using Acclimate.Training;

namespace Acclimate.Pretraining.Forgetting;

/// <summary>One held-out set of a run: "domain" (data.eval) or "general" (general.eval).</summary>
internal sealed record HeldOutSet(string Name, string Corpus, MlmEvaluation Evaluation);

/// <summary>
/// The forgetting report of a pretraining run: MLM perplexity on each held-out set before the main
/// phase (kept in forgetting-before.json, so a resumed run reports against the same "before") and
/// after it, written to forgetting.json and report.md and summed up in the log.
/// </summary>
internal sealed class ForgettingReport
{
    /// <summary>File in the run folder holding the "before" scores.</summary>
    public const string BeforeFile = "forgetting-before.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly RunFolder _run;
    private readonly Func<MlmEvaluation, MlmScore> _score;
    private readonly TextWriter _log;
    private Dictionary<string, MlmScore>? _before;

    /// <param name="run">The run folder.</param>
    /// <param name="sets">The held-out sets (none: an empty report).</param>
    /// <param name="score">Scores the model being trained on one set (ELECTRA: its generator).</param>
    /// <param name="log">The run's log.</param>
    public ForgettingReport(RunFolder run, IReadOnlyList<HeldOutSet> sets, Func<MlmEvaluation, MlmScore> score, TextWriter log)
    {
        _run = run;
        Sets = sets;
        _score = score;
        _log = log;
    }

    /// <summary>The held-out sets.</summary>
    public IReadOnlyList<HeldOutSet> Sets { get; }

    /// <summary>The model's score on every set now.</summary>
    public Dictionary<string, MlmScore> ScoreAll() => Sets.ToDictionary(s => s.Name, s => _score(s.Evaluation));

    /// <summary>
    /// The "before" scores: read back from <see cref="BeforeFile"/> when resuming (the model has
    /// moved since), else measured now and written there.
    /// </summary>
    public void MeasureBefore(bool resuming)
    {
        var path = Path.Combine(_run.Path, BeforeFile);
        var scores = new Dictionary<string, MlmScore>(StringComparer.Ordinal);
        if (resuming && File.Exists(path))
        {
            var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            foreach (var (name, value) in node)
                scores[name] = new MlmScore(value!["loss"]!.GetValue<double>(), value["masked_tokens"]!.GetValue<long>(), value["sequences"]!.GetValue<int>());
            _before = scores;
            return;
        }
        var json = new JsonObject();
        foreach (var (name, corpus, evaluation) in Sets)
        {
            var score = _score(evaluation);
            scores[name] = score;
            json[name] = new JsonObject { ["corpus"] = corpus, ["loss"] = score.Loss, ["perplexity"] = score.Perplexity, ["masked_tokens"] = score.MaskedTokens, ["sequences"] = score.Sequences };
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"before: {name} held-out perplexity {score.Perplexity:F2} (loss {score.Loss:F4}, {score.MaskedTokens:N0} masked tokens in {score.Sequences} blocks)"));
        }
        AtomicFile.WriteAllText(path, json.ToJsonString(Indented) + "\n");
        _before = scores;
    }

    /// <summary>Each set's "before" and its score now.</summary>
    public IReadOnlyList<ForgettingRow> MeasureAfter()
    {
        var before = _before ?? throw new InvalidOperationException("measure the scores before training first.");
        return Sets.Select(s => new ForgettingRow(s.Name, s.Corpus, before[s.Name], _score(s.Evaluation))).ToList();
    }

    /// <summary>forgetting.json (held-out rows, the controls' entries, ELECTRA's detection score) and report.md.</summary>
    public void Write(PretrainingRecipe r, TrainingResult result, IReadOnlyList<ForgettingRow> rows, ElectraScore? electra, double tokenizeSeconds,
        ForgettingControls controls)
    {
        var json = new JsonObject
        {
            ["steps"] = result.GlobalStep,
            ["training_seconds"] = result.TrainingTime.TotalSeconds,
            ["tokenize_seconds"] = tokenizeSeconds,
        };
        var sets = new JsonObject();
        foreach (var row in rows)
            sets[row.Set] = new JsonObject
            {
                ["corpus"] = row.Corpus,
                ["before_loss"] = row.Before.Loss, ["before_perplexity"] = row.Before.Perplexity,
                ["after_loss"] = row.After.Loss, ["after_perplexity"] = row.After.Perplexity,
                ["perplexity_change"] = row.PerplexityChange, ["masked_tokens"] = row.After.MaskedTokens,
            };
        json["held_out"] = sets;
        controls.AddToReport(json, result.GlobalStep * r.Training.GradAccumulation);
        if (electra is not null)
            json["electra"] = new JsonObject
            {
                ["generator_loss"] = electra.Generator.Loss, ["disc_accuracy"] = electra.DiscriminatorAccuracy,
                ["replaced_recall"] = electra.ReplacedRecall, ["replaced_fraction"] = electra.ReplacedFraction,
            };
        AtomicFile.WriteAllText(Path.Combine(_run.Path, "forgetting.json"), json.ToJsonString(Indented) + "\n");

        var report = new MarkdownReport()
            .Heading($"Pretraining run {Path.GetFileName(_run.Path)}", 1)
            .Paragraph(string.Create(CultureInfo.InvariantCulture,
                $"Objective {RecipeNames.EnumValue(r.Objective.Kind)}, {result.GlobalStep} updates in {result.TrainingTime.TotalSeconds:F0} s of training; " +
                $"model from {r.Model.Init ?? "scratch"}; training corpus {r.Data.Train}. The full recipe is recipe.yaml."));
        if (rows.Count > 0)
        {
            report.Heading("Forgetting report (masked-LM perplexity on held-out text, same masks before and after)")
                .Table(new[] { "held-out set", "corpus", "ppl before", "ppl after", "change", "loss before", "loss after", "masked tokens" },
                    rows.Select(row => (IReadOnlyList<object?>)new object?[]
                    {
                        row.Set, row.Corpus, row.Before.Perplexity.ToString("F2", CultureInfo.InvariantCulture),
                        row.After.Perplexity.ToString("F2", CultureInfo.InvariantCulture),
                        row.PerplexityChange.ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture),
                        row.Before.Loss.ToString("F4", CultureInfo.InvariantCulture), row.After.Loss.ToString("F4", CultureInfo.InvariantCulture),
                        row.After.MaskedTokens,
                    }));
        }
        if (electra is not null)
            report.Paragraph(string.Create(CultureInfo.InvariantCulture,
                $"ELECTRA discriminator on the first held-out set: accuracy {electra.DiscriminatorAccuracy:P2} over all tokens, recall {electra.ReplacedRecall:P2} on the {electra.ReplacedFraction:P2} replaced tokens; generator MLM loss {electra.Generator.Loss:F4}."));
        report.Image("training loss", "plots/loss.png");
        _run.WriteReport(report);
    }

    /// <summary>One log line per row: perplexity and loss before → after.</summary>
    public void LogRows(IReadOnlyList<ForgettingRow> rows)
    {
        foreach (var row in rows)
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{row.Set} held-out ({row.Corpus}): perplexity {row.Before.Perplexity:F2} → {row.After.Perplexity:F2} ({row.PerplexityChange:+0.0%;-0.0%}), loss {row.Before.Loss:F4} → {row.After.Loss:F4}"));
    }
}
