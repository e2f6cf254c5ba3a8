using Acclimate.Training;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>The <c>output:</c> section: where the run folder goes.</summary>
public sealed record FineTuneOutputOptions : IValidatedOptions
{
    /// <summary>Folder the run folder is created in.</summary>
    public string Dir { get; init; } = "runs";

    /// <summary>Run name; the folder is <c>&lt;dir&gt;/&lt;name&gt;-&lt;timestamp&gt;</c> unless <see cref="Exact"/>.</summary>
    public string Name { get; init; } = "finetune";

    /// <summary>Use <c>&lt;dir&gt;/&lt;name&gt;</c> exactly (no timestamp); an existing folder is reused.</summary>
    public bool Exact { get; init; }

    /// <summary>Write the dev/test predictions of the best model (predictions-dev.jsonl, predictions-test.jsonl).</summary>
    public bool SavePredictions { get; init; } = true;

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Dir)) yield return "dir must name a folder";
        if (string.IsNullOrWhiteSpace(Name)) yield return "name must not be empty";
    }
}
