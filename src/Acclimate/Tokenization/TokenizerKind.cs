namespace Acclimate.Tokenization;

/// <summary>The subword algorithm behind an <see cref="ITextTokenizer"/>.</summary>
public enum TokenizerKind
{
    /// <summary>BERT-style WordPiece over vocab.txt (BERT, ELECTRA, DistilBERT).</summary>
    WordPiece,

    /// <summary>GPT-2-style byte-level BPE over vocab.json + merges.txt (RoBERTa).</summary>
    ByteLevelBpe,

    /// <summary>SentencePiece unigram model in spiece.model (ALBERT).</summary>
    SentencePiece,
}
