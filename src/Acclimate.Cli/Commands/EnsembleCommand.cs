using System.CommandLine;
using Acclimate.Errors;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Spectre.Console;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate ensemble --model A --model B … --data FILE</c>: combines fine-tuned taggers (folds,
/// seeds, head variants) by averaging emissions/probabilities or by entity voting, and evaluates
/// the ensemble like a single model, beside each member alone.
/// </summary>
internal static class EnsembleCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string[]>("--model") { Description = "Tagger folders (at least two), e.g. the best-model of each fold.", Required = true, AllowMultipleArgumentsPerToken = true };
        var data = new Option<string>("--data") { Description = "Labelled file to evaluate on.", Required = true };
        var format = new Option<string?>("--format") { Description = "conll (default), token_jsonl or span_jsonl." };
        var method = new Option<string>("--method") { Description = "average (emissions/probabilities, then decode) or vote (entity-level majority).", DefaultValueFactory = _ => "average" };
        var predictions = new Option<string?>("--predictions") { Description = "Write the ensemble's predictions to this JSONL file." };
        var command = new Command("ensemble", "Evaluate an ensemble of fine-tuned taggers (averaging or voting).") { model, data, format, method, predictions };
        command.SetAction(result =>
        {
            var folders = result.GetValue(model)!;
            if (folders.Length < 2) throw new ConfigException("an ensemble needs at least two --model folders.");
            var how = result.GetValue(method)!.ToLowerInvariant() switch
            {
                "average" => EnsembleMethod.Average,
                "vote" => EnsembleMethod.Vote,
                var other => throw new ConfigException($"--method '{other}': expected average or vote."),
            };
            var path = result.GetValue(data)!;
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
            foreach (var folder in folders)
            {
                using var single = TaggerEnsemble.Load(new[] { folder });
                output.WriteLine($"member {folder}: {MetricsLine.Format(SavedModelEvaluation.Tagger(single, path, EvaluateCommand.ParseFormat(result.GetValue(format) ?? "conll")).Metrics())}");
            }
            using var ensemble = TaggerEnsemble.Load(folders);
            var scores = SavedModelEvaluation.Tagger(ensemble, path, EvaluateCommand.ParseFormat(result.GetValue(format) ?? "conll"), how, result.GetValue(predictions));
            EpochTable.Write(console, $"ensemble of {folders.Length} ({how.ToString().ToLowerInvariant()}) on {path}", scores, maxRows: 60);
            output.WriteLine($"ensemble ({how.ToString().ToLowerInvariant()}): {MetricsLine.Format(scores.Metrics())}");
            return 0;
        });
        return command;
    }
}
