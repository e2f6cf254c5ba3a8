namespace Acclimate.Pretraining;

/// <summary>
/// One [CLS] A [SEP] B [SEP] pair: ids, segment ids (0 for [CLS], A and the first [SEP]; 1 for B
/// and the last [SEP]) and the sentence label of its task. <see cref="DocumentIndex"/> is the
/// document A came from.
/// </summary>
internal sealed record SentencePairExample(int[] InputIds, int[] TokenTypeIds, int Label, int DocumentIndex)
{
    /// <summary>The pair as a collator input (the example index keys static masking).</summary>
    public MlmExample ToMlmExample(long? exampleIndex = null) =>
        new(InputIds) { TokenTypeIds = TokenTypeIds, SentenceLabel = Label, ExampleIndex = exampleIndex };
}
