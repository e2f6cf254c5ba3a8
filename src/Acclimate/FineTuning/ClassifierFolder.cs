using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.IO;

namespace Acclimate.FineTuning;

/// <summary>Saves and loads fine-tuned sequence classifiers: the HF pooler head, or <see cref="MeanPooledClassifier"/> (marked by pooling.json).</summary>
public static class ClassifierFolder
{
    /// <summary>Writes the model (and tokenizer files) into the existing folder.</summary>
    public static void Save(TransformerModel model, string folder, Action<string>? saveTokenizer)
    {
        PretrainedModel.Save(model, folder, saveTokenizer);
        if (model is MeanPooledClassifier)
            AtomicFile.WriteAllText(Path.Combine(folder, MeanPooledClassifier.PoolingFileName), new JsonObject { ["pooling"] = "mean" }.ToJsonString() + "\n");
    }

    /// <summary>Loads a classifier folder; every weight must be present.</summary>
    public static TransformerModel Load(string folder)
    {
        TorchRuntime.EnsureInitialized();
        if (!Directory.Exists(folder)) throw new CheckpointException($"{folder}: model folder not found.");
        TransformerModel model;
        if (File.Exists(Path.Combine(folder, MeanPooledClassifier.PoolingFileName)))
            model = new MeanPooledClassifier(EncoderConfig.Load(Path.Combine(folder, PretrainedModel.ConfigFileName)));
        else
            model = ModelFactory.Create(EncoderConfig.Load(Path.Combine(folder, PretrainedModel.ConfigFileName)), ModelTask.SequenceClassification);
        try
        {
            var report = PretrainedModel.LoadWeights(model, folder);
            if (report.MissingKeys.Count > 0)
                throw new CheckpointException($"{folder}: the checkpoint lacks {report.MissingKeys.Count} of the classifier's tensors ({string.Join(", ", report.MissingKeys.Take(5))}); it is not a fine-tuned classifier.");
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
