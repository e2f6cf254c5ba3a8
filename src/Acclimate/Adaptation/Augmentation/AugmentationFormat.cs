using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>The kinds of files <c>acclimate augment</c> reads and writes (the output keeps the input's kind).</summary>
public enum AugmentationFormat
{
    /// <summary>One sentence per line.</summary>
    Text,

    /// <summary>Classification JSONL, CSV or TSV as the fine-tuning readers accept (text, optional text_pair, label).</summary>
    Classification,

    /// <summary>CoNLL columns (token … tag) in a tagging scheme: mentions are kept whole.</summary>
    Conll,
}

/// <summary>Names and extension rules of <see cref="AugmentationFormat"/>.</summary>
public static class AugmentationFormats
{
    /// <summary>
    /// By extension (looking through <c>.gz</c>): <c>.conll</c>, <c>.conllu</c>, <c>.bio</c>, <c>.iob</c>,
    /// <c>.iob2</c>, <c>.bioes</c> are CoNLL; <c>.jsonl</c>, <c>.json</c>, <c>.csv</c>, <c>.tsv</c> are
    /// classification; anything else is plain text.
    /// </summary>
    public static AugmentationFormat FromPath(string path)
    {
        var extension = Path.GetExtension(TextLineReader.NameWithoutGz(path)).ToLowerInvariant();
        return extension switch
        {
            ".conll" or ".conllu" or ".bio" or ".iob" or ".iob2" or ".bioes" => AugmentationFormat.Conll,
            ".jsonl" or ".json" or ".csv" or ".tsv" => AugmentationFormat.Classification,
            _ => AugmentationFormat.Text,
        };
    }

    /// <summary>Reads <c>text</c>, <c>classification</c> or <c>conll</c> (any case).</summary>
    public static AugmentationFormat Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "text" or "txt" => AugmentationFormat.Text,
        "classification" or "jsonl" or "tsv" or "csv" => AugmentationFormat.Classification,
        "conll" => AugmentationFormat.Conll,
        _ => throw new ConfigException($"--format {name}: expected text, classification or conll."),
    };
}
