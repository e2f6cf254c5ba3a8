using Acclimate.Data.Tagging;
using Acclimate.Tokenization;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.FineTuning.Tagging;

/// <summary>
/// A predicted entity (or, for plain tags, a tagged word) with UTF-16 character offsets [Start, End)
/// into the input text, and the model's <see cref="Confidence"/> in it.
/// </summary>
/// <param name="Type">The entity type (plain tags: the word's tag).</param>
/// <param name="Start">First character (UTF-16 index).</param>
/// <param name="End">One past the last character.</param>
/// <param name="Text">The text of the span.</param>
/// <param name="Confidence">
/// The probability, under the model, that the entity's words carry exactly the predicted tags
/// (in the model's tagging scheme, e.g. B-PER I-PER), whatever the other words carry: for a CRF the
/// exact marginal probability of that tag sub-path (forward–backward, see <see cref="CrfPosterior"/>),
/// for a softmax head the product of the words' softmax probabilities of their predicted tags
/// (exact too, since such a head labels words independently). Always ≤ the smallest per-word
/// probability on the span. It does not include the word after the span: with BIO tags an
/// I- continuation there is another event (with BIOES/BILOU model tags the end is in the span's own tags).
/// </param>
public sealed record TextEntity(string Type, int Start, int End, string Text, double Confidence);

/// <summary>
/// Tagging of raw text: the tokenizer's pre-tokenizer splits the text into words (BERT: on
/// whitespace and punctuation, CJK characters one by one), the tagger labels the words, and
/// entities are mapped back to character offsets.
/// </summary>
public static class TextEntities
{
    /// <summary>Words of <paramref name="text"/> with their character spans, as the tokenizer's pre-tokenizer splits it.</summary>
    public static IReadOnlyList<(string Word, int Start, int End)> Words(ITextTokenizer tokenizer, string text)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(text);
        var encoded = tokenizer.Encode(text, null, new EncodeOptions { AddSpecialTokens = false });
        var spans = new SortedDictionary<int, (int Start, int End)>();
        for (var t = 0; t < encoded.Count; t++)
        {
            if (encoded.WordIds[t] is not int w) continue;
            var o = encoded.Offsets[t];
            spans[w] = spans.TryGetValue(w, out var s) ? (Math.Min(s.Start, o.Start), Math.Max(s.End, o.End)) : (o.Start, o.End);
        }
        return spans.Values.Where(s => s.End > s.Start).Select(s => (text[s.Start..s.End], s.Start, s.End)).ToArray();
    }

    /// <summary>Entities of each text (plain tags: every word with its tag).</summary>
    public static IReadOnlyList<IReadOnlyList<TextEntity>> Predict(TaggerEnsemble tagger, IReadOnlyList<string> texts, EnsembleMethod method = EnsembleMethod.Average)
    {
        ArgumentNullException.ThrowIfNull(tagger);
        ArgumentNullException.ThrowIfNull(texts);
        var words = texts.Select(t => Words(tagger.Words.Tokenizer, t)).ToArray();
        var predicted = tagger.PredictWithPosteriors(words.Select(w => (IReadOnlyList<string>)w.Select(x => x.Word).ToArray()).ToArray(), method);
        var results = new List<IReadOnlyList<TextEntity>>(texts.Count);
        for (var i = 0; i < texts.Count; i++)
        {
            var (w, p) = (words[i], predicted[i]);
            if (tagger.Info.FileScheme is { } scheme)
                results.Add(TagDecoder.Decode(p.FileTags, scheme).Select(s => new TextEntity(s.Type, w[s.Start].Start, w[s.End - 1].End,
                    texts[i][w[s.Start].Start..w[s.End - 1].End], p.SpanConfidence(s.Start, s.End))).ToArray());
            else
                results.Add(Enumerable.Range(0, w.Count).Select(j => new TextEntity(p.FileTags[j], w[j].Start, w[j].End, w[j].Word, p.SpanConfidence(j, j + 1))).ToArray());
        }
        return results;
    }
}
