namespace Acclimate.Pretraining;

/// <summary>MLM score of one held-out set before and after a run.</summary>
public sealed record ForgettingRow(string Set, string Corpus, MlmScore Before, MlmScore After)
{
    /// <summary>Relative change of perplexity, after / before − 1.</summary>
    public double PerplexityChange => After.Perplexity / Before.Perplexity - 1;
}
