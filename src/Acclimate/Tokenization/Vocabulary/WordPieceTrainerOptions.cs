using Acclimate.Errors;

namespace Acclimate.Tokenization.Vocabulary;

/// <summary>
/// Settings of <see cref="WordPieceTrainer"/>, checked once by <see cref="Validate"/> (the trainer
/// calls it). The normalization settings are the ones BERT's tokenizer_config.json carries and are
/// written into the trained folder, so the tokenizer loaded from it normalizes exactly as training did.
/// </summary>
public sealed record WordPieceTrainerOptions
{
    /// <summary>Largest vocabulary to produce, special tokens and alphabet included. Default 30 522 (BERT's).</summary>
    public int VocabSize { get; init; } = 30522;

    /// <summary>A pair of pieces is merged only if it occurs at least this often (weighted by word counts). Default 2.</summary>
    public long MinFrequency { get; init; } = 2;

    /// <summary>Lowercase while normalizing (BERT uncased). Default true.</summary>
    public bool Lowercase { get; init; } = true;

    /// <summary>Strip accents (NFD + drop nonspacing marks); null follows <see cref="Lowercase"/>, as HF does.</summary>
    public bool? StripAccents { get; init; }

    /// <summary>Put spaces around CJK ideographs so each is its own word. Default true.</summary>
    public bool TokenizeChineseChars { get; init; } = true;

    /// <summary>Keep only the this many most frequent characters in the alphabet; null keeps all.</summary>
    public int? LimitAlphabet { get; init; }

    /// <summary>Words longer than this many code points are skipped: the tokenizer turns them into [UNK] anyway (HF's max_input_chars_per_word).</summary>
    public int MaxWordChars { get; init; } = 100;

    /// <summary>Special tokens, written first in this order: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4 with the defaults.</summary>
    public string PadToken { get; init; } = "[PAD]";

    /// <inheritdoc cref="PadToken"/>
    public string UnkToken { get; init; } = "[UNK]";

    /// <inheritdoc cref="PadToken"/>
    public string ClsToken { get; init; } = "[CLS]";

    /// <inheritdoc cref="PadToken"/>
    public string SepToken { get; init; } = "[SEP]";

    /// <inheritdoc cref="PadToken"/>
    public string MaskToken { get; init; } = "[MASK]";

    /// <summary>Further tokens reserved right after the five specials (e.g. "[unused0]").</summary>
    public IReadOnlyList<string> AdditionalSpecialTokens { get; init; } = [];

    /// <summary>model_max_length written into tokenizer_config.json. Default 512.</summary>
    public int ModelMaxLength { get; init; } = 512;

    /// <summary>Threads counting words; default: every processor.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The effective accent stripping.</summary>
    public bool EffectiveStripAccents => StripAccents ?? Lowercase;

    /// <summary>The special tokens in id order.</summary>
    public IReadOnlyList<string> SpecialTokens => [PadToken, UnkToken, ClsToken, SepToken, MaskToken, .. AdditionalSpecialTokens];

    /// <summary>Throws <see cref="ConfigException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (VocabSize < 1) throw new ConfigException($"vocabulary size {VocabSize}: expected a positive number of tokens.");
        if (MinFrequency < 1) throw new ConfigException($"min frequency {MinFrequency}: expected at least 1.");
        if (LimitAlphabet is < 1) throw new ConfigException($"limit alphabet {LimitAlphabet}: expected at least 1 character, or none.");
        if (MaxWordChars < 1) throw new ConfigException($"max word chars {MaxWordChars}: expected at least 1.");
        if (ModelMaxLength < 1) throw new ConfigException($"model max length {ModelMaxLength}: expected at least 1.");
        if (Threads < 1) throw new ConfigException($"threads {Threads}: expected at least 1.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in SpecialTokens)
        {
            if (string.IsNullOrWhiteSpace(token) || token.Any(char.IsWhiteSpace))
                throw new ConfigException($"special token '{token}': expected a non-empty token without whitespace (vocab.txt holds one token per line).");
            if (!seen.Add(token)) throw new ConfigException($"special token '{token}' is listed twice.");
        }
    }
}
