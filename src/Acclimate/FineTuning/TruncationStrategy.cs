namespace Acclimate.FineTuning;

/// <summary>Which tokens of a too-long classification input are kept (Sun et al. 2019, "How to Fine-Tune BERT for Text Classification").</summary>
public enum TruncationStrategy
{
    /// <summary>The first tokens.</summary>
    Head,
    /// <summary>The last tokens.</summary>
    Tail,
    /// <summary>The first <see cref="TruncationOptions.HeadTokens"/> and as many of the last as fit (e.g. 128 + 382 at 512 positions).</summary>
    HeadTail,
}
