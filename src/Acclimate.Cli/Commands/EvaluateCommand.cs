using System.CommandLine;
using Acclimate.Checkpoints;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.Evaluation;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Models;
using Acclimate.Tokenization;
using Acclimate.Runtime;
using Spectre.Console;
using TorchSharp;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate evaluate --model DIR --data FILE</c>: scores a fine-tuned tagger (seqeval entity
/// P/R/F1 per type, micro/macro, strict F1, token accuracy; or per-tag scores for plain tags) or a
/// sequence classifier (accuracy, macro-F1, per class) on a labelled file.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "A model folder written by `acclimate finetune` (its best-model).", Required = true };
        var data = new Option<string>("--data") { Description = "Labelled file: CoNLL / token JSONL / span JSONL for taggers, JSONL/CSV/TSV for classifiers.", Required = true };
        var format = new Option<string?>("--format") { Description = "conll, token_jsonl, span_jsonl (taggers; default conll) or classification." };
        var predictions = new Option<string?>("--predictions") { Description = "Also write gold and predicted tags per sentence to this JSONL file." };
        var maxLength = new Option<int>("--max-length") { Description = "Classifiers without classification.json: input length (head truncation).", DefaultValueFactory = _ => 128 };
        var device = CommonOptions.Device();
        var command = new Command("evaluate", "Evaluate a fine-tuned model on a labelled file.") { model, data, format, predictions, maxLength, device };
        command.SetAction(result =>
        {
            var dev = TorchRuntime.ResolveDevice(result.GetValue(device));
            var folder = result.GetValue(model)!;
            var path = result.GetValue(data)!;
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
            if (File.Exists(Path.Combine(folder, SequenceLabeler.HeadConfigFileName)))
            {
                using var tagger = TaggerEnsemble.Load(new[] { folder }, dev);
                var scores = SavedModelEvaluation.Tagger(tagger, path, ParseFormat(result.GetValue(format) ?? "conll"), EnsembleMethod.Average, result.GetValue(predictions));
                EpochTable.Write(console, $"{folder} on {path}", scores, maxRows: 60);
                output.WriteLine(MetricsLine.Format(scores.Metrics()));
                return 0;
            }
            var report = SavedModelEvaluation.Classifier(folder, path, result.GetValue(maxLength), dev);
            output.WriteLine(MetricsTable.Format(report));
            output.WriteLine(MetricsLine.Format(ClassificationPredictor.Metrics(report)));
            return 0;
        });
        return command;
    }

    internal static DatasetFormat ParseFormat(string name) => name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant() switch
    {
        "conll" => DatasetFormat.Conll,
        "tokenjsonl" => DatasetFormat.TokenJsonl,
        "spanjsonl" => DatasetFormat.SpanJsonl,
        _ => throw new ConfigException($"--format '{name}': expected conll, token_jsonl or span_jsonl."),
    };
}
