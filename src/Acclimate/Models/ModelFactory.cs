using Acclimate.Errors;

namespace Acclimate.Models;

/// <summary>Builds the task model for a config, with HF's initialization.</summary>
public static class ModelFactory
{
    /// <summary>
    /// A new model for <paramref name="task"/> (default: the config's first architecture, else the
    /// bare encoder), initialized as HF's <c>_init_weights</c>.
    /// </summary>
    public static TransformerModel Create(EncoderConfig config, ModelTask? task = null, bool initialize = true)
    {
        var chosen = task ?? TaskFromArchitectures(config);
        TransformerModel model = chosen switch
        {
            ModelTask.Base => new BaseEncoderModel(config),
            ModelTask.PreTraining => config.Family.CreatePreTrainingModel(config),
            ModelTask.MaskedLM => new MaskedLmModel(config, withSentenceHead: false),
            ModelTask.TokenClassification => new TokenClassificationModel(config),
            ModelTask.SequenceClassification => new SequenceClassificationModel(config),
            _ => throw new ConfigException($"unknown task {chosen}"),
        };
        if (initialize) model.InitializeWeights();
        return model;
    }

    /// <summary>The task named by config.json's <c>architectures</c>, or Base when absent.</summary>
    public static ModelTask TaskFromArchitectures(EncoderConfig config)
    {
        foreach (var architecture in config.Architectures)
        {
            if (Architectures.TaskOf(architecture) is ModelTask task) return task;
            throw new ConfigException($"{config.SourcePath ?? "config"}: architecture '{architecture}' is not supported " +
                $"(expected <{string.Join("|", EncoderFamily.All.Select(f => f.ClassPrefix))}><Model|ForPreTraining|ForMaskedLM|ForTokenClassification|ForSequenceClassification>).");
        }
        return ModelTask.Base;
    }
}
