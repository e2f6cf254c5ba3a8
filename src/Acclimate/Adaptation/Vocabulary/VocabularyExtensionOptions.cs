using Acclimate.Errors;

namespace Acclimate.Adaptation.Vocabulary;

/// <summary>Settings of <see cref="VocabularyExtender"/>, checked once by <see cref="Validate"/>.</summary>
public sealed record VocabularyExtensionOptions
{
    /// <summary>At most this many new whole-word tokens. Default 1000.</summary>
    public int WordsToAdd { get; init; } = 1000;

    /// <summary>A word qualifies only if the current tokenizer cuts it into at least this many pieces. Default 2.</summary>
    public int MinPieces { get; init; } = 2;

    /// <summary>A word qualifies only if it occurs at least this often in the selection part of the corpus. Default 5.</summary>
    public long MinFrequency { get; init; } = 5;

    /// <summary>
    /// Fraction of documents (chosen by a hash of the document id, <c>DocumentSplit.IsHeldOut</c>) kept
    /// out of word selection and used to report tokens per word before and after. 0 selects and
    /// measures on the whole corpus. Default 0.1.
    /// </summary>
    public double HeldOutFraction { get; init; } = 0.1;

    /// <summary>Salt of the held-out hash split.</summary>
    public string SplitSalt { get; init; } = "vocab";

    /// <summary>Threads counting and measuring; default every processor.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Throws <see cref="ConfigException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (WordsToAdd < 1) throw new ConfigException($"words to add {WordsToAdd}: expected at least 1.");
        if (MinPieces < 2) throw new ConfigException($"min pieces {MinPieces}: expected at least 2 (a word that is already one token gains nothing).");
        if (MinFrequency < 1) throw new ConfigException($"min frequency {MinFrequency}: expected at least 1.");
        if (!(HeldOutFraction >= 0 && HeldOutFraction < 1)) throw new ConfigException($"held-out fraction {HeldOutFraction}: expected 0 ≤ f < 1.");
        if (Threads < 1) throw new ConfigException($"threads {Threads}: expected at least 1.");
    }
}
