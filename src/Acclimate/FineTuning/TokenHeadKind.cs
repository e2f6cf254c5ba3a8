namespace Acclimate.FineTuning;

/// <summary>What sits between the encoder features and the per-token label scores.</summary>
public enum TokenHeadKind
{
    /// <summary>Dropout and one Linear (HF's token-classification head).</summary>
    Linear,
    /// <summary>A bidirectional LSTM over the tokens (padding packed away), then a Linear.</summary>
    BiLstm,
    /// <summary>Parallel 1-D convolutions of several widths with same-length padding, concatenated, then a Linear.</summary>
    Cnn,
}
