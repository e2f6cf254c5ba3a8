using Acclimate.Checkpoints;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// Synonyms where no lexicon exists (Chinese, a new domain's jargon): the whole words of a model's
/// vocabulary nearest to a word in the model's input-embedding space, by cosine. A word of several
/// pieces is the mean of its pieces' rows; a word the tokenizer maps to the unknown token has no
/// neighbours. Answers are cached per word.
/// </summary>
public sealed class EmbeddingNeighbourSynonyms : ISynonymSource, IDisposable
{
    private readonly ITextTokenizer _tokenizer;
    private readonly Tensor _embeddings;      // [vocab, width], the model's input embeddings
    private readonly Tensor _candidates;      // [words, width], the whole-word rows, L2-normalised
    private readonly string[] _candidateWords;
    private readonly Dictionary<string, IReadOnlyList<string>> _cache = new(StringComparer.Ordinal);

    /// <param name="embeddings">The input-embedding matrix [vocab, width] (copied).</param>
    /// <param name="tokenizer">The tokenizer whose ids index the rows.</param>
    /// <param name="neighbours">Synonyms returned per word.</param>
    /// <param name="minimumCosine">Neighbours less similar than this are left out (default -1: none).</param>
    public EmbeddingNeighbourSynonyms(Tensor embeddings, ITextTokenizer tokenizer, int neighbours = 10, double minimumCosine = -1.0)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Neighbours = neighbours >= 1 ? neighbours : throw new ArgumentOutOfRangeException(nameof(neighbours), neighbours, "at least one neighbour.");
        MinimumCosine = minimumCosine;
        var vocabulary = new WholeWordVocabulary(tokenizer);
        var ids = vocabulary.Ids.Where(id => id < embeddings.shape[0]).ToArray();
        _candidateWords = ids.Select(id => vocabulary.WordOf(id)!).ToArray();
        using var _ = no_grad();
        _embeddings = embeddings.detach().to(ScalarType.Float32).clone();
        _embeddings.DetachFromDisposeScope();
        using (var scope = NewDisposeScope())
        {
            var rows = _embeddings.index_select(0, tensor(ids.Select(i => (long)i).ToArray()));
            _candidates = nn.functional.normalize(rows, p: 2, dim: 1).MoveToOuterDisposeScope();
        }
        _candidates.DetachFromDisposeScope();
    }

    /// <summary>The input embeddings and tokenizer of a model folder (any head; only the embeddings are kept).</summary>
    public static EmbeddingNeighbourSynonyms Load(string folder, int neighbours = 10, double minimumCosine = -1.0)
    {
        TorchRuntime.EnsureInitialized();
        var tokenizer = TokenizerLoader.FromFolder(folder);
        var (model, _) = PretrainedModel.Load(folder, ModelTask.Base);
        using (model)
        {
            var weight = model.Encoder.Embeddings.WordEmbeddingWeight;
            return new EmbeddingNeighbourSynonyms(weight, tokenizer, neighbours, minimumCosine);
        }
    }

    /// <summary>Synonyms returned per word, at most.</summary>
    public int Neighbours { get; }

    /// <summary>Neighbours with a smaller cosine similarity are left out (-1: none are).</summary>
    public double MinimumCosine { get; }

    /// <summary>Number of whole-word vocabulary entries neighbours are drawn from.</summary>
    public int CandidateCount => _candidateWords.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> SynonymsOf(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (_cache.TryGetValue(word, out var cached)) return cached;
        var result = Compute(word);
        _cache[word] = result;
        return result;
    }

    private IReadOnlyList<string> Compute(string word)
    {
        var ids = _tokenizer.Encode(word, options: new EncodeOptions { AddSpecialTokens = false }).Ids;
        if (ids.Count == 0 || ids.Contains(_tokenizer.UnkTokenId) || ids.Any(id => id >= _embeddings.shape[0])) return Array.Empty<string>();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var vector = _embeddings.index_select(0, tensor(ids.Select(i => (long)i).ToArray())).mean(new long[] { 0 });
        var query = nn.functional.normalize(vector.unsqueeze(0), p: 2, dim: 1)[0];
        var cosine = _candidates.mv(query);
        // A few extra, since the word itself and case variants of one word are dropped.
        var take = (int)Math.Min(Neighbours * 3 + 4, cosine.shape[0]);
        var (values, indices) = cosine.topk(take);
        var scores = values.data<float>().ToArray();
        var picked = indices.data<long>().ToArray();
        var result = new List<string>(Neighbours);
        for (var i = 0; i < picked.Length && result.Count < Neighbours; i++)
        {
            if (scores[i] < MinimumCosine) break;
            var candidate = _candidateWords[picked[i]];
            if (WordCase.Same(candidate, word) || result.Any(r => WordCase.Same(r, candidate))) continue;
            result.Add(candidate);
        }
        return result;
    }

    /// <summary>Disposes the embedding copies.</summary>
    public void Dispose()
    {
        _embeddings.Dispose();
        _candidates.Dispose();
    }
}
