namespace Acclimate.Tokenization.SentencePiece;

/// <summary>
/// HuggingFace's Unigram model (the SentencePiece "optimized" Viterbi) over a word: the best
/// segmentation by summed piece scores, computed in double precision in HF's order so that equal-score
/// segmentations resolve the same way (the earliest-starting last piece wins); characters no piece
/// covers become the unknown token, and runs of them are fused into one token.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers' SentencePiece unigram keeps scores in float32 and differs from HF on
/// repeated patterns ("nononono…", "oooooooooooooo"), where several segmentations tie; see docs/tokenizers.md.
/// </remarks>
internal sealed class UnigramModel
{
    private const double UnknownPenalty = 10.0;

    private readonly string[] _pieces;
    private readonly double[] _scores;
    private readonly TrieNode _root = new();
    private readonly int _unkId;
    private readonly double _unkScore;

    public UnigramModel(IReadOnlyList<(string Piece, double Score)> vocabulary, int unkId)
    {
        _pieces = new string[vocabulary.Count];
        _scores = new double[vocabulary.Count];
        double minScore = double.MaxValue;
        for (int id = 0; id < vocabulary.Count; id++)
        {
            var (piece, score) = vocabulary[id];
            _pieces[id] = piece;
            _scores[id] = score;
            minScore = Math.Min(minScore, score);
            // As in HF, every piece (control and unknown ones too) is in the lattice; a repeated piece keeps its last id.
            Insert(piece, id);
        }
        _unkId = unkId;
        _unkScore = minScore - UnknownPenalty;
    }

    /// <summary>A segmentation token: id, vocabulary string (the covered text for unknowns), UTF-16 span in the word.</summary>
    public readonly record struct Piece(int Id, string Value, int Start, int End);

    public List<Piece> Encode(string word)
    {
        int n = word.Length;
        var bestScore = new double[n + 1];
        var startsAt = new int[n + 1];
        var bestId = new int[n + 1];
        Array.Fill(startsAt, -1);

        int start = 0;
        while (start < n)
        {
            int charLength = char.IsHighSurrogate(word[start]) && start + 1 < n && char.IsLowSurrogate(word[start + 1]) ? 2 : 1;
            double scoreHere = bestScore[start];
            bool hasSingleCharPiece = false;
            var node = _root;
            for (int end = start; end < n; end++)
            {
                if (node.Children is null || !node.Children.TryGetValue(word[end], out node))
                {
                    break;
                }
                if (node.Id < 0)
                {
                    continue;
                }
                int target = end + 1;
                double candidate = _scores[node.Id] + scoreHere;
                if (startsAt[target] < 0 || candidate > bestScore[target])
                {
                    bestScore[target] = candidate;
                    startsAt[target] = start;
                    bestId[target] = node.Id;
                }
                if (target - start == charLength)
                {
                    hasSingleCharPiece = true;
                }
            }
            if (!hasSingleCharPiece)
            {
                int target = start + charLength;
                double candidate = _unkScore + scoreHere;
                if (startsAt[target] < 0 || candidate > bestScore[target])
                {
                    bestScore[target] = candidate;
                    startsAt[target] = start;
                    bestId[target] = _unkId;
                }
            }
            start += charLength;
        }

        var reversed = new List<Piece>();
        int position = n;
        while (position > 0)
        {
            int from = startsAt[position];
            int id = bestId[position];
            if (id == _unkId && reversed.Count > 0 && reversed[^1].Id == _unkId)
            {
                // HF fuses consecutive unknown characters into one token.
                var next = reversed[^1];
                reversed[^1] = new Piece(_unkId, word[from..next.End], from, next.End);
            }
            else
            {
                reversed.Add(new Piece(id, id == _unkId ? word[from..position] : _pieces[id], from, position));
            }
            position = from;
        }
        reversed.Reverse();
        return reversed;
    }

    private void Insert(string piece, int id)
    {
        var node = _root;
        foreach (char c in piece)
        {
            node.Children ??= new Dictionary<char, TrieNode>();
            if (!node.Children.TryGetValue(c, out var child))
            {
                child = new TrieNode();
                node.Children[c] = child;
            }
            node = child;
        }
        if (piece.Length > 0)
        {
            node.Id = id;
        }
    }

    private sealed class TrieNode
    {
        public Dictionary<char, TrieNode>? Children;
        public int Id = -1;
    }
}
