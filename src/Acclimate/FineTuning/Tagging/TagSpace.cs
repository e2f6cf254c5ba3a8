using Acclimate.Data.Datasets;
using Acclimate.Data.Tagging;
using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// The label side of a tagging run: the files' scheme, the scheme the model is trained in, the
/// model's label list, and the conversions between the two schemes (lossless via entity spans).
/// With no scheme (plain tags such as POS) both conversions are the identity.
/// </summary>
public sealed class TagSpace
{
    /// <summary>The label side of a run.</summary>
    /// <param name="fileScheme">The files' scheme; null for plain tags.</param>
    /// <param name="modelScheme">The scheme the model is trained in; null for plain tags.</param>
    /// <param name="labels">The model's labels (in <paramref name="modelScheme"/>).</param>
    public TagSpace(TaggingScheme? fileScheme, TaggingScheme? modelScheme, IReadOnlyList<string> labels)
    {
        FileScheme = fileScheme;
        ModelScheme = modelScheme;
        Labels = labels ?? throw new ArgumentNullException(nameof(labels));
        if (labels.Count == 0) throw new DataException("the label set is empty; the training data has no tags.");
    }

    /// <summary>The tagging scheme of the data files (null: plain tags).</summary>
    public TaggingScheme? FileScheme { get; }

    /// <summary>The tagging scheme the model predicts in (null: plain tags).</summary>
    public TaggingScheme? ModelScheme { get; }

    /// <summary>The model's labels by id (in the model scheme).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>
    /// The label set for training sentences: with a scheme, <c>O</c> plus every tag of the model
    /// scheme for each entity type seen in training (so all-subword continuations and every legal
    /// tag exist); without one, the distinct tags. <paramref name="alsoFrom"/> adds the tags of
    /// other splits (a tag inventory known in advance, e.g. a POS tag set whose rare tags a
    /// genre-held-out training split lacks).
    /// </summary>
    public static TagSpace ForTraining(IReadOnlyList<TaggedSentence> train, TaggingScheme? fileScheme, TaggingScheme? modelScheme, IEnumerable<TaggedSentence>? alsoFrom = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (alsoFrom is not null) train = train.Concat(alsoFrom).ToArray();
        if (modelScheme is not { } scheme) return new TagSpace(null, null, LabelSet.ForTags(train));
        var types = train.SelectMany(s => s.Tags).Where(t => t != "O").Select(t => Tag.Parse(t).Type)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return new TagSpace(fileScheme, scheme, TagTransitions.LabelsFor(scheme, types));
    }

    /// <summary>Gold tags of a sentence in the model's scheme.</summary>
    public IReadOnlyList<string> ToModel(IReadOnlyList<string> fileTags) =>
        FileScheme is { } from && ModelScheme is { } to && from != to ? TagConverter.Convert(fileTags, from, to) : fileTags;

    /// <summary>Predicted tags (model scheme, possibly ill-formed without a CRF) in the files' scheme.</summary>
    public IReadOnlyList<string> ToFile(IReadOnlyList<string> modelTags) =>
        FileScheme is { } to && ModelScheme is { } from && from != to ? TagConverter.Convert(modelTags, from, to, TagReading.Lenient) : modelTags;

    /// <summary>
    /// Tags (model scheme) of words [from, to) as a sentence of their own: an entity cut by the
    /// boundary keeps its part inside, re-encoded so the piece is legal in the scheme (a BIO
    /// piece never opens with I-). Without a scheme, the plain slice.
    /// </summary>
    public IReadOnlyList<string> Slice(IReadOnlyList<string> modelTags, int from, int to)
    {
        if (from == 0 && to == modelTags.Count) return modelTags;
        if (ModelScheme is not { } scheme) return modelTags.Skip(from).Take(to - from).ToArray();
        var spans = TagDecoder.Decode(modelTags, scheme)
            .Where(s => s.End > from && s.Start < to)
            .Select(s => new EntitySpan(s.Type, Math.Max(s.Start, from) - from, Math.Min(s.End, to) - from));
        return TagEncoder.Encode(spans, to - from, scheme);
    }

    /// <summary>CRF constraints from the model scheme's legal transitions (null without a scheme).</summary>
    public CrfConstraints? Constraints()
    {
        if (ModelScheme is not { } scheme) return null;
        var transitions = TagTransitions.For(scheme, Labels);
        var n = Labels.Count;
        var allowed = new bool[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                allowed[i, j] = transitions.IsAllowed(i, j);
        return new CrfConstraints(allowed, Enumerable.Range(0, n).Select(transitions.IsAllowedStart).ToArray(), Enumerable.Range(0, n).Select(transitions.IsAllowedEnd).ToArray());
    }

    /// <summary>Throws at the first tag (model scheme) of <paramref name="sentences"/> outside the label set, naming file, line and tag.</summary>
    public void CheckCovered(IEnumerable<TaggedSentence> sentences)
    {
        var known = new HashSet<string>(Labels, StringComparer.Ordinal);
        foreach (var s in sentences)
        {
            var tags = ToModel(s.Tags);
            for (var i = 0; i < tags.Count; i++)
                if (!known.Contains(tags[i]))
                    throw new DataException($"{s.SourceFile}:{s.TokenLine(i)}: tag '{s.Tags[i]}' (token '{s.Words[i]}') is not in the label set learned from the training data; expected one of {string.Join(", ", Labels.Take(30))}{(Labels.Count > 30 ? ", …" : "")}.");
        }
    }
}
