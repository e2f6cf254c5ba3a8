using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>How the data files of a fine-tuning recipe are written.</summary>
public enum DatasetFormat
{
    /// <summary>CoNLL columns (token … tag), blank lines between sentences, -DOCSTART- skipped.</summary>
    Conll,

    /// <summary>JSONL with a token list and a tag list per line.</summary>
    TokenJsonl,

    /// <summary>JSONL with a text and labelled character spans (CLUENER); one token per character.</summary>
    SpanJsonl,

    /// <summary>The Brown corpus package (POS tags), split by genre.</summary>
    Brown,

    /// <summary>Classification JSONL/CSV/TSV: text, optional text_pair, label.</summary>
    Classification,
}
