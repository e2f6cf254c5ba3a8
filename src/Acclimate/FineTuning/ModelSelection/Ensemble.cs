using Acclimate.Data.Tagging;
using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;

namespace Acclimate.FineTuning.ModelSelection;

/// <summary>
/// The arithmetic of ensembles over per-word scores: means of emissions or of probabilities, and
/// entity-level majority voting. <see cref="TaggerEnsemble"/> applies it to saved taggers.
/// </summary>
internal static class Ensemble
{
    /// <summary>Element-wise mean of the members' [words, labels] matrices for one sentence.</summary>
    public static float[,] Mean(IReadOnlyList<float[,]> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("an ensemble needs at least one member.", nameof(members));
        var (words, labels) = (members[0].GetLength(0), members[0].GetLength(1));
        var sum = new double[words, labels];
        foreach (var m in members)
        {
            if (m.GetLength(0) != words || m.GetLength(1) != labels)
                throw new DataException($"ensemble members disagree on shape: [{m.GetLength(0)}, {m.GetLength(1)}] vs [{words}, {labels}].");
            for (var w = 0; w < words; w++)
                for (var l = 0; l < labels; l++) sum[w, l] += m[w, l];
        }
        var result = new float[words, labels];
        for (var w = 0; w < words; w++)
            for (var l = 0; l < labels; l++) result[w, l] = (float)(sum[w, l] / members.Count);
        return result;
    }

    /// <summary>Mean of the members' softmax probabilities (each member's scores are softmaxed per word first).</summary>
    public static float[,] MeanProbabilities(IReadOnlyList<float[,]> memberScores) =>
        Mean(memberScores.Select(TaggingPredictor.Probabilities).ToArray());

    /// <summary>
    /// Entity-level voting for one sentence: every member's tags (in <paramref name="scheme"/>) are
    /// decoded to entities; an entity (type, start, end) predicted by at least
    /// <paramref name="minVotes"/> members (default: a strict majority) is kept; overlapping
    /// survivors are resolved by more votes, then longer span, then earlier start. The result is
    /// encoded back in the scheme.
    /// </summary>
    public static string[] VoteEntities(IReadOnlyList<IReadOnlyList<string>> memberTags, TaggingScheme scheme, int? minVotes = null)
    {
        ArgumentNullException.ThrowIfNull(memberTags);
        if (memberTags.Count == 0) throw new ArgumentException("an ensemble needs at least one member.", nameof(memberTags));
        var length = memberTags[0].Count;
        if (memberTags.Any(t => t.Count != length)) throw new DataException("ensemble members predicted different numbers of words for one sentence.");
        var needed = minVotes ?? memberTags.Count / 2 + 1;
        var votes = new Dictionary<EntitySpan, int>();
        foreach (var tags in memberTags)
            foreach (var span in TagDecoder.Decode(tags, scheme).Distinct())
                votes[span] = votes.GetValueOrDefault(span) + 1;
        var taken = new bool[length];
        var kept = new List<EntitySpan>();
        foreach (var (span, _) in votes.Where(kv => kv.Value >= needed)
                     .OrderByDescending(kv => kv.Value).ThenByDescending(kv => kv.Key.Length).ThenBy(kv => kv.Key.Start).ThenBy(kv => kv.Key.Type, StringComparer.Ordinal))
        {
            if (Enumerable.Range(span.Start, span.Length).Any(i => taken[i])) continue;
            for (var i = span.Start; i < span.End; i++) taken[i] = true;
            kept.Add(span);
        }
        return TagEncoder.Encode(kept.OrderBy(s => s.Start), length, scheme);
    }

    /// <summary>Per-word majority label (ties go to the label the earliest member chose); for plain tags such as POS.</summary>
    public static string[] VoteTokens(IReadOnlyList<IReadOnlyList<string>> memberTags)
    {
        ArgumentNullException.ThrowIfNull(memberTags);
        if (memberTags.Count == 0) throw new ArgumentException("an ensemble needs at least one member.", nameof(memberTags));
        var length = memberTags[0].Count;
        var result = new string[length];
        for (var w = 0; w < length; w++)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var tags in memberTags) counts[tags[w]] = counts.GetValueOrDefault(tags[w]) + 1;
            var top = counts.Values.Max();
            result[w] = memberTags.Select(t => t[w]).First(tag => counts[tag] == top);
        }
        return result;
    }
}
