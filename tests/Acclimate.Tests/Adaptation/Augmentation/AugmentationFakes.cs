using Acclimate.Adaptation.Augmentation;

namespace Acclimate.Tests.Adaptation.Augmentation;

/// <summary>A synonym source with fixed answers, for tests that must not depend on a lexicon.</summary>
internal sealed class FixedSynonyms : ISynonymSource
{
    private readonly Dictionary<string, string[]> _map;

    public FixedSynonyms(Dictionary<string, string[]> map) => _map = new Dictionary<string, string[]>(map, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every word has two synonyms, one of them two words long (so replacement shifts what follows).</summary>
    public static FixedSynonyms ForEveryWord { get; } = new(new Dictionary<string, string[]>()) { _everyWord = true };

    private bool _everyWord;

    public List<string> Asked { get; } = new();

    public IReadOnlyList<string> SynonymsOf(string word)
    {
        if (_everyWord) return new[] { word + "-syn", "two words" };
        lock (Asked) Asked.Add(word);
        return _map.TryGetValue(word, out var synonyms) ? synonyms : Array.Empty<string>();
    }
}

/// <summary>A masked-word predictor that proposes fixed words, recording what it was asked.</summary>
internal sealed class FixedPredictor : IMaskedWordPredictor
{
    private readonly WordCandidate[] _candidates;

    public FixedPredictor(params WordCandidate[] candidates) => _candidates = candidates;

    public List<IReadOnlyList<int>> Calls { get; } = new();

    public IReadOnlyList<IReadOnlyList<WordCandidate>> Predict(IReadOnlyList<string> words, IReadOnlyList<int> masked, int topK)
    {
        Calls.Add(masked.ToArray());
        return masked.Select(_ => (IReadOnlyList<WordCandidate>)_candidates.Take(topK).ToArray()).ToArray();
    }
}
