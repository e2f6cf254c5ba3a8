using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Data.Corpora;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Models;
using Acclimate.Tokenization;
using Acclimate.Runtime;
using Acclimate.IO;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate predict --model DIR --input FILE</c>: one JSONL line per input text — for a
/// tagger the entities with character offsets and confidence (plain tags: every word with its tag;
/// the confidence is <see cref="TextEntity.Confidence"/>), for a
/// classifier the label and every label's probability.
/// </summary>
internal static class PredictCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string[]>("--model") { Description = "Model folder(s) written by `acclimate finetune`; several taggers predict as an averaged ensemble.", Required = true, AllowMultipleArgumentsPerToken = true };
        var input = new Option<string>("--input") { Description = "Texts: JSONL with a \"text\" field per line, or plain text (one text per line).", Required = true };
        var outputFile = new Option<string?>("--output") { Description = "JSONL file to write (default: standard output)." };
        var maxLength = new Option<int>("--max-length") { Description = "Classifiers without classification.json: input length (head truncation).", DefaultValueFactory = _ => 128 };
        var device = CommonOptions.Device();
        var command = new Command("predict", "Predict entities (with character offsets) or labels (with probabilities) for texts.") { model, input, outputFile, maxLength, device };
        command.SetAction(result =>
        {
            var dev = TorchRuntime.ResolveDevice(result.GetValue(device));
            var folders = result.GetValue(model)!;
            var texts = ReadTexts(result.GetValue(input)!);
            var lines = new StringBuilder();
            if (File.Exists(Path.Combine(folders[0], SequenceLabeler.HeadConfigFileName)))
            {
                using var tagger = TaggerEnsemble.Load(folders, dev);
                var entities = TextEntities.Predict(tagger, texts);
                for (var i = 0; i < texts.Count; i++)
                    lines.Append(new JsonObject
                    {
                        ["text"] = texts[i],
                        [tagger.Info.FileScheme is null ? "tokens" : "entities"] = new JsonArray(entities[i].Select(e => (JsonNode?)new JsonObject
                        {
                            [tagger.Info.FileScheme is null ? "tag" : "type"] = e.Type, ["start"] = e.Start, ["end"] = e.End, ["text"] = e.Text,
                            ["confidence"] = Math.Round(e.Confidence, 6),
                        }).ToArray()),
                    }.ToJsonString()).Append('\n');
            }
            else
            {
                if (folders.Length > 1) throw new ConfigException("predict ensembles taggers only; give one classifier folder.");
                using var classifier = DevicePlacement.MoveTo(ClassifierFolder.Load(folders[0]), dev);
                var tokenizer = TokenizerLoader.FromFolder(folders[0]);
                var options = ClassificationModelInfo.TryLoad(folders[0])?.ToModelOptions(folders[0]) ?? new FineTuneModelOptions { Encoder = folders[0], MaxLength = result.GetValue(maxLength) };
                var inputs = texts.Select(t => ClassificationPredictor.Encode(tokenizer, new ClassificationExample(t, null, "", "", 0), options)).ToArray();
                var predicted = ClassificationPredictor.Predict(classifier, inputs, classifier.Config.PadTokenId);
                var labels = classifier.Config.Labels;
                for (var i = 0; i < texts.Count; i++)
                {
                    var probabilities = new JsonObject();
                    for (var l = 0; l < labels.Count; l++) probabilities[labels[l]] = Math.Round(predicted[i].Probabilities[l], 6);
                    lines.Append(new JsonObject { ["text"] = texts[i], ["label"] = labels[predicted[i].Label], ["probabilities"] = probabilities }.ToJsonString()).Append('\n');
                }
            }
            if (result.GetValue(outputFile) is { } path) AtomicFile.WriteAllText(path, lines.ToString());
            else output.Write(lines.ToString());
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<string> ReadTexts(string path)
    {
        var texts = new List<string>();
        foreach (var line in TextLineReader.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            if (line.Text.TrimStart().StartsWith('{'))
            {
                try
                {
                    texts.Add((JsonNode.Parse(line.Text) as JsonObject)?["text"]?.GetValue<string>()
                        ?? throw new DataException($"{path}:{line.Number}: the JSON object has no string field \"text\"."));
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException)
                {
                    throw new DataException($"{path}:{line.Number}: not valid JSON with a string \"text\" ({e.Message}).", e);
                }
            }
            else texts.Add(line.Text);
        }
        if (texts.Count == 0) throw new DataException($"{path}: no texts to predict (the file is empty).");
        return texts;
    }
}
