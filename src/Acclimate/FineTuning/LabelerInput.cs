namespace Acclimate.FineTuning;

/// <summary>
/// One tokenized sequence to label: the token ids and, per token, the index of the word it came
/// from (null for special tokens), as any tokenizer's word-id list gives them.
/// </summary>
/// <param name="InputIds">Token ids (with the model's special tokens, unless stated otherwise by the API taking this).</param>
/// <param name="WordIds">Per token, the word index or null; one entry per id.</param>
/// <param name="WordCount">Number of words in the original sentence (words without tokens predict null).</param>
public sealed record LabelerInput(IReadOnlyList<long> InputIds, IReadOnlyList<int?> WordIds, int WordCount);
