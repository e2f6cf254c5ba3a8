using Acclimate.Errors;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using static TorchSharp.torch;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;

namespace Acclimate.FineTuning.ModelSelection;

/// <summary>
/// Several saved taggers (folds, seeds, head variants) used as one: they must share labels, schemes
/// and tokenizer vocabulary. <see cref="Predict"/> returns tags in the files' scheme, so the
/// ensemble is evaluated exactly like a single model.
/// </summary>
public sealed class TaggerEnsemble : IDisposable
{
    private readonly List<SequenceLabeler> _members;

    private TaggerEnsemble(List<SequenceLabeler> members, TaggingModelInfo info, WordEncoder words, IReadOnlyList<string> folders)
    {
        _members = members;
        Info = info;
        Words = words;
        Folders = folders;
    }

    /// <summary>The tagging settings the members share (schemes, window length and stride).</summary>
    public TaggingModelInfo Info { get; }

    internal WordEncoder Words { get; }

    /// <summary>The members' model folders, in member order.</summary>
    public IReadOnlyList<string> Folders { get; }

    /// <summary>The loaded member models.</summary>
    public IReadOnlyList<SequenceLabeler> Members => _members;

    /// <summary>The label list every member shares.</summary>
    public IReadOnlyList<string> Labels => _members[0].Labels;

    /// <summary>Loads taggers saved by <c>acclimate finetune</c>; differing labels, schemes or vocabularies are an error naming the folder.</summary>
    /// <param name="folders">The members' model folders.</param>
    /// <param name="device">Where the members run (default: where they load, the CPU).</param>
    public static TaggerEnsemble Load(IReadOnlyList<string> folders, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(folders);
        if (folders.Count == 0) throw new ConfigException("an ensemble needs at least one model folder.");
        var members = new List<SequenceLabeler>();
        try
        {
            var info = TaggingModelInfo.Load(folders[0]);
            var tokenizer = TokenizerLoader.FromFolder(folders[0]);
            foreach (var folder in folders)
            {
                var labeler = SequenceLabeler.Load(folder);
                members.Add(labeler);
                if (device is not null) DevicePlacement.MoveTo(labeler, device);
                if (!labeler.Labels.SequenceEqual(members[0].Labels, StringComparer.Ordinal))
                    throw new ConfigException($"{folder}: labels [{string.Join(", ", labeler.Labels)}] differ from {folders[0]}'s [{string.Join(", ", members[0].Labels)}]; ensemble members must share one label set.");
                var memberInfo = TaggingModelInfo.Load(folder);
                if (memberInfo.FileScheme != info.FileScheme || memberInfo.ModelScheme != info.ModelScheme)
                    throw new ConfigException($"{folder}: tagging schemes ({memberInfo.FileScheme}/{memberInfo.ModelScheme}) differ from {folders[0]}'s ({info.FileScheme}/{info.ModelScheme}).");
                if (labeler.Config.VocabSize != members[0].Config.VocabSize)
                    throw new ConfigException($"{folder}: vocabulary of {labeler.Config.VocabSize} ids differs from {folders[0]}'s {members[0].Config.VocabSize}; members must share a tokenizer.");
            }
            var maxLength = folders.Select(TaggingModelInfo.Load).Min(i => i.MaxLength);
            return new TaggerEnsemble(members, info with { MaxLength = maxLength }, new WordEncoder(tokenizer, maxLength), folders.ToArray());
        }
        catch
        {
            foreach (var m in members) m.Dispose();
            throw;
        }
    }

    /// <summary>Tags (files' scheme) per sentence.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Predict(IReadOnlyList<IReadOnlyList<string>> sentences, EnsembleMethod method) =>
        PredictWithPosteriors(sentences, method).Select(p => p.FileTags).ToArray();

    /// <summary>
    /// Tags per sentence with what the span confidences are computed from: the model-scheme tag ids
    /// and the posterior of the model that decoded them — with <see cref="EnsembleMethod.Average"/>
    /// and CRF members, the CRF with the mean scores over the mean emissions (the one Viterbi ran on);
    /// with softmax (or mixed) members, the mean per-word probabilities taken as independent; with
    /// <see cref="EnsembleMethod.Vote"/>, the mean of the members' own posteriors.
    /// </summary>
    internal IReadOnlyList<PredictedTags> PredictWithPosteriors(IReadOnlyList<IReadOnlyList<string>> sentences, EnsembleMethod method)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var scores = _members.Select(m => TaggingPredictor.WordScores(m, Words, sentences, Math.Min(Info.Stride, Words.ContentLength - 1))).ToArray();
        IReadOnlyList<string[]> modelTags;
        // Lazy: Predict (scoring, evaluation) never asks for confidences, so it pays nothing for them.
        Lazy<ITagPosterior>[] posteriors;
        if (method == EnsembleMethod.Average)
        {
            var allCrf = _members.All(m => m.Head.Crf is not null);
            var probabilities = allCrf ? null : _members.Select((m, k) => TaggingPredictor.WordProbabilities(scores[k], m.Head.Crf)).ToArray();
            var combined = Enumerable.Range(0, sentences.Count)
                .Select(i => allCrf
                    ? Ensemble.Mean(scores.Select(s => s[i]).ToArray())
                    : Ensemble.Mean(probabilities!.Select(p => p[i]).ToArray())).ToArray();
            using var crf = allCrf ? MeanCrf() : null;
            modelTags = TaggingPredictor.Decode(combined, crf).Select(p => p.Select(id => Labels[id]).ToArray()).ToArray();
            var posterior = crf is null ? null : CrfPosterior.For(crf);   // the parameters are read now: the mean CRF is disposed on return
            posteriors = combined.Select(c => new Lazy<ITagPosterior>(() => posterior is null ? new IndependentTagPosterior(c) : posterior(c))).ToArray();
        }
        else
        {
            var perMember = _members.Select((m, k) => TaggingPredictor.Decode(scores[k], m.Head.Crf).Select(p => p.Select(id => Labels[id]).ToArray()).ToArray()).ToArray();
            modelTags = Enumerable.Range(0, sentences.Count).Select(i =>
            {
                var votes = perMember.Select(p => (IReadOnlyList<string>)p[i]).ToArray();
                return Info.ModelScheme is { } scheme ? Ensemble.VoteEntities(votes, scheme) : Ensemble.VoteTokens(votes);
            }).ToArray();
            var memberPosteriors = _members.Select(m => m.Head.Crf is { } memberCrf
                ? CrfPosterior.For(memberCrf)
                : (Func<float[,], ITagPosterior>)(s => new IndependentTagPosterior(TaggingPredictor.Probabilities(s)))).ToArray();
            posteriors = Enumerable.Range(0, sentences.Count).Select(i => new Lazy<ITagPosterior>(() =>
                new MeanTagPosterior(memberPosteriors.Select((posterior, k) => posterior(scores[k][i])).ToArray()))).ToArray();
        }
        var space = new TagSpace(Info.FileScheme, Info.ModelScheme, Labels);
        // A voted tag outside the label set (none of the members can produce it) gets id −1: probability 0.
        var labelIds = Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        return Enumerable.Range(0, sentences.Count)
            .Select(i => new PredictedTags(space.ToFile(modelTags[i]), modelTags[i].Select(t => labelIds.GetValueOrDefault(t, -1)).ToArray(), posteriors[i]))
            .ToArray();
    }

    /// <summary>A CRF whose start, end and transition scores are the members' means (constraints of the first member).</summary>
    private ConditionalRandomField MeanCrf()
    {
        var first = _members[0].Head.Crf!;
        var crf = new ConditionalRandomField(first.NumTags, first.Constraints);
        using var _ = no_grad();
        crf.StartTransitions.copy_(stack(_members.Select(m => m.Head.Crf!.StartTransitions).ToArray()).mean(new long[] { 0 }));
        crf.EndTransitions.copy_(stack(_members.Select(m => m.Head.Crf!.EndTransitions).ToArray()).mean(new long[] { 0 }));
        crf.Transitions.copy_(stack(_members.Select(m => m.Head.Crf!.Transitions).ToArray()).mean(new long[] { 0 }));
        return crf;
    }

    /// <summary>Disposes every member model.</summary>
    public void Dispose()
    {
        foreach (var m in _members) m.Dispose();
        _members.Clear();
    }
}

/// <summary>One sentence's predicted tags (files' scheme), the same tags as model label ids, and the posterior they came from.</summary>
internal sealed record PredictedTags(IReadOnlyList<string> FileTags, int[] ModelTagIds, Lazy<ITagPosterior> Posterior)
{
    /// <summary>The probability that words [<paramref name="start"/>, <paramref name="end"/>) carry exactly their predicted model tags.</summary>
    public double SpanConfidence(int start, int end)
    {
        var tags = ModelTagIds.AsSpan(start, end - start);
        return tags.Contains(-1) ? 0.0 : Posterior.Value.SpanProbability(start, tags);
    }
}
