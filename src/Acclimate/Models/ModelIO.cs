using static TorchSharp.torch;

namespace Acclimate.Models;

/// <summary>
/// One batch for a model, with HF's argument meanings. Labels are optional; when given, the task
/// model also returns HF's loss for them (-100 marks positions to ignore).
/// </summary>
public sealed record ModelInputs(Tensor InputIds, Tensor? AttentionMask = null, Tensor? TokenTypeIds = null)
{
    /// <summary>MLM: [B,L] ids with -100 on unmasked; token-cls: [B,L]; seq-cls: [B] (or [B] floats for regression); ELECTRA discriminator: [B,L] 0/1.</summary>
    public Tensor? Labels { get; init; }
    /// <summary>BERT next-sentence label or ALBERT sentence-order label, [B] (0 = in order / is next).</summary>
    public Tensor? SentenceLabels { get; init; }
}

/// <summary>
/// What a task model returns: the encoder output and its head outputs under HF's output names
/// (prediction_logits, seq_relationship_logits, sop_logits, discriminator_logits, logits), plus
/// the loss when labels were given.
/// </summary>
public sealed class ModelOutputs
{
    private readonly Dictionary<string, Tensor> _heads = new(StringComparer.Ordinal);

    /// <summary>Outputs around <paramref name="encoder"/>'s result; heads are added with <see cref="Add"/>.</summary>
    public ModelOutputs(EncoderOutput encoder) => Encoder = encoder;

    /// <summary>The encoder's hidden states and pooler output.</summary>
    public EncoderOutput Encoder { get; }
    /// <summary>The scalar loss when labels were given, else null.</summary>
    public Tensor? Loss { get; set; }
    /// <summary>Head outputs by HF output name.</summary>
    public IReadOnlyDictionary<string, Tensor> Heads => _heads;

    /// <summary>The main logits of the head (prediction_logits for MLM, logits for classifiers, …).</summary>
    public Tensor Logits => _heads.TryGetValue("logits", out var l) ? l
        : _heads.TryGetValue("prediction_logits", out var p) ? p
        : _heads.TryGetValue("discriminator_logits", out var d) ? d
        : throw new InvalidOperationException("this model has no logits output");

    /// <summary>Adds (or replaces) the head output <paramref name="name"/>.</summary>
    public void Add(string name, Tensor value) => _heads[name] = value;

    /// <summary>All outputs under the names the HF-parity fixtures use (hidden_states.i, last_hidden_state, pooler_output, heads, loss).</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> Named()
    {
        for (var i = 0; i < Encoder.HiddenStates.Count; i++)
            yield return new($"hidden_states.{i}", Encoder.HiddenStates[i]);
        yield return new("last_hidden_state", Encoder.LastHiddenState);
        if (Encoder.PoolerOutput is not null) yield return new("pooler_output", Encoder.PoolerOutput);
        foreach (var kv in _heads) yield return kv;
        if (Loss is not null) yield return new("loss", Loss.reshape(1));
    }
}
