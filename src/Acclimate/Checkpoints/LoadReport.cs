using System.Text;

namespace Acclimate.Checkpoints;

/// <summary>
/// How a checkpoint's tensors matched the model, in HF's terms: keys the model has that the file
/// lacks (left at their fresh initialization), keys the file has that the model does not use, and
/// tied aliases whose stored copy was ignored in favour of the tensor they are tied to.
/// </summary>
public sealed record LoadReport(
    string Source,
    string Architecture,
    IReadOnlyList<string> LoadedKeys,
    IReadOnlyList<string> MissingKeys,
    IReadOnlyList<string> UnexpectedKeys,
    IReadOnlyList<string> IgnoredKeys)
{
    /// <summary>Missing keys are newly initialized: a new head, or an encoder the file did not cover.</summary>
    public IReadOnlyList<string> NewlyInitializedKeys => MissingKeys;

    /// <summary>True when every model tensor was found in the file and the file held nothing else.</summary>
    public bool IsExactMatch => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0;

    /// <summary>HF-style warnings (empty when everything matched).</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        if (UnexpectedKeys.Count > 0)
            text.AppendLine($"Some weights of the checkpoint at {Source} were not used when initializing {Architecture}: [{string.Join(", ", UnexpectedKeys)}]. " +
                            "This is expected when the checkpoint was trained with another head (e.g. pretraining heads when loading for classification).");
        if (MissingKeys.Count > 0)
            text.AppendLine($"Some weights of {Architecture} were not initialized from the checkpoint at {Source} and are newly initialized: [{string.Join(", ", MissingKeys)}]. " +
                            "Train this model on a downstream task before using it for predictions.");
        return text.ToString();
    }
}
