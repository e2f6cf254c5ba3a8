using Acclimate.Errors;

namespace Acclimate.Pretraining;

/// <summary>
/// The special-token ids a collator needs, taken as plain data so the pretraining code does not
/// depend on a tokenizer type. <see cref="All"/> is every id that must never be masked or drawn as
/// a random replacement (pad, mask, cls, sep, unk, bos/eos, added control tokens …).
/// </summary>
public sealed record SpecialTokenIds
{
    /// <param name="pad">Padding id (also the model config's pad_token_id).</param>
    /// <param name="mask">The [MASK] / &lt;mask&gt; id that masked positions receive.</param>
    /// <param name="cls">[CLS] / &lt;s&gt;, the first token of a sentence pair.</param>
    /// <param name="sep">[SEP] / &lt;/s&gt;, the separator after each segment.</param>
    /// <param name="others">Further special ids (unk, bos, eos, added control tokens).</param>
    public SpecialTokenIds(int pad, int mask, int cls, int sep, IEnumerable<int>? others = null)
    {
        foreach (var (value, name) in new[] { (pad, "pad"), (mask, "mask"), (cls, "cls"), (sep, "sep") })
            if (value < 0) throw new ConfigException($"special token id '{name}' must be non-negative, found {value}.");
        Pad = pad;
        Mask = mask;
        Cls = cls;
        Sep = sep;
        var all = new SortedSet<int> { pad, mask, cls, sep };
        foreach (var id in others ?? Array.Empty<int>())
        {
            if (id < 0) throw new ConfigException($"special token ids must be non-negative, found {id}.");
            all.Add(id);
        }
        All = all;
    }

    /// <summary>The padding id.</summary>
    public int Pad { get; }
    /// <summary>The id masked positions receive.</summary>
    public int Mask { get; }
    /// <summary>The first token of a sequence or pair.</summary>
    public int Cls { get; }
    /// <summary>The separator after each segment.</summary>
    public int Sep { get; }

    /// <summary>Every special id, sorted.</summary>
    public IReadOnlySet<int> All { get; }

    /// <summary>Whether <paramref name="id"/> is in <see cref="All"/>.</summary>
    public bool IsSpecial(int id) => All.Contains(id);

    /// <summary>BERT's uncased vocabulary layout: [PAD]=0, [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103.</summary>
    public static SpecialTokenIds BertUncased => new(pad: 0, mask: 103, cls: 101, sep: 102, others: new[] { 100 });

    /// <summary>RoBERTa's layout: &lt;s&gt;=0, &lt;pad&gt;=1, &lt;/s&gt;=2, &lt;unk&gt;=3, &lt;mask&gt;=50264.</summary>
    public static SpecialTokenIds Roberta => new(pad: 1, mask: 50264, cls: 0, sep: 2, others: new[] { 3 });
}
