using Acclimate.Errors;

namespace Acclimate.Models;

/// <summary>Which head sits on the encoder (HF's class suffix).</summary>
public enum ModelTask
{
    /// <summary>The bare encoder (BertModel …); checkpoint keys carry no prefix.</summary>
    Base,
    /// <summary>BERT MLM+NSP, ALBERT MLM+SOP, ELECTRA replaced-token discriminator.</summary>
    PreTraining,
    /// <summary>Masked-language-model head (BertForMaskedLM …).</summary>
    MaskedLM,
    /// <summary>Per-token classifier (…ForTokenClassification).</summary>
    TokenClassification,
    /// <summary>Sequence classifier or regressor (…ForSequenceClassification).</summary>
    SequenceClassification,
}

/// <summary>Maps HF architecture names (e.g. <c>BertForTokenClassification</c>) to and from (type, task).</summary>
internal static class Architectures
{
    private static readonly (ModelTask Task, string Suffix)[] Suffixes =
    {
        (ModelTask.Base, "Model"),
        (ModelTask.PreTraining, "ForPreTraining"),
        (ModelTask.MaskedLM, "ForMaskedLM"),
        (ModelTask.TokenClassification, "ForTokenClassification"),
        (ModelTask.SequenceClassification, "ForSequenceClassification"),
    };

    public static string Name(ModelType type, ModelTask task)
    {
        var family = EncoderFamily.For(type);
        if (task == ModelTask.PreTraining && !family.HasPreTrainingModel)
            throw new ConfigException($"{family.ClassPrefix} has no pretraining head with a sentence objective: use MaskedLM.");
        return family.ClassPrefix + Suffixes.First(s => s.Task == task).Suffix;
    }

    /// <summary>The task an architecture name stands for, or null if it is not one we implement.</summary>
    public static ModelTask? TaskOf(string architecture)
    {
        foreach (var (task, suffix) in Suffixes.OrderByDescending(s => s.Suffix.Length))
            if (architecture.EndsWith(suffix, StringComparison.Ordinal)) return task;
        return null;
    }
}
