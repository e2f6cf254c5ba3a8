namespace Acclimate.Tokenization.Pipeline;

/// <summary>A special token's string and id.</summary>
internal readonly record struct SpecialToken(string Content, int Id);

/// <summary>The special tokens a model declares, resolved to ids; <paramref name="Others"/> holds extra ones such as bos/eos.</summary>
internal sealed record SpecialTokenSet(SpecialToken Cls, SpecialToken Sep, SpecialToken Pad, SpecialToken Mask, SpecialToken Unk,
    IReadOnlyList<SpecialToken>? Others = null)
{
    public IReadOnlySet<int> Ids { get; } =
        new[] { Cls, Sep, Pad, Mask, Unk }.Concat(Others ?? []).Select(t => t.Id).ToHashSet();
}
