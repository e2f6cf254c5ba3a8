namespace Acclimate.Pretraining;

/// <summary>The sentence-level pretraining task a pair is built for.</summary>
public enum SentencePairTask
{
    /// <summary>BERT's next-sentence prediction: label 0 = B is A's actual continuation, 1 = B comes from another document (HF next_sentence_label).</summary>
    NextSentencePrediction,
    /// <summary>ALBERT's sentence-order prediction: two consecutive segments, label 0 = in order, 1 = swapped (HF sentence_order_label).</summary>
    SentenceOrderPrediction,
}
