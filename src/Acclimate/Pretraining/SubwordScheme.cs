namespace Acclimate.Pretraining;

/// <summary>How a vocabulary's token strings mark word boundaries.</summary>
public enum SubwordScheme
{
    /// <summary>BERT WordPiece: a token beginning with <c>##</c> continues the previous word.</summary>
    WordPiece,
    /// <summary>GPT-2/RoBERTa byte-level BPE: a token beginning with <c>Ġ</c> (an encoded space) starts a word.</summary>
    ByteLevelBpe,
    /// <summary>SentencePiece (ALBERT, XLM-R): a token beginning with <c>▁</c> starts a word.</summary>
    SentencePiece,
}
