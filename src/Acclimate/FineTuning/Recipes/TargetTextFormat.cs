using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>How <c>adaptation.target_text</c> is written.</summary>
public enum TargetTextFormat
{
    /// <summary>One sentence / document per line (blank lines skipped); taggers split words on whitespace.</summary>
    Text,
    /// <summary>A CoNLL column file: its sentences' words, the tags ignored.</summary>
    Conll,
}
