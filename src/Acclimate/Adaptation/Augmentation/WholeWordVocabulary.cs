using Acclimate.Tokenization;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// The vocabulary entries of a tokenizer that are whole words with a letter, and how each is spelled:
/// WordPiece entries that do not continue a word (no <c>##</c>), byte-level BPE entries that start a
/// word (<c>Ġ</c>, printable ASCII only, since other bytes are spelled in GPT-2's byte alphabet), and
/// SentencePiece entries that start one (<c>▁</c>). Special tokens and <c>[unusedN]</c> slots are left
/// out. Contextual substitution and embedding neighbours only ever propose these, so a replacement
/// is a word, never a fragment of one.
/// </summary>
public sealed class WholeWordVocabulary
{
    private readonly Dictionary<int, string> _words = new();

    /// <summary>Collects the whole-word entries of <paramref name="tokenizer"/>'s vocabulary.</summary>
    public WholeWordVocabulary(ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        for (var id = 0; id < tokenizer.VocabSize; id++)
        {
            if (tokenizer.SpecialTokenIds.Contains(id)) continue;
            string token;
            try { token = tokenizer.IdToToken(id); }
            catch (ArgumentOutOfRangeException) { continue; }   // ids of the model's padding beyond the vocabulary
            var word = Surface(tokenizer.Kind, token);
            if (word is not null && WordCase.HasLetter(word) && !word.Any(char.IsWhiteSpace)) _words[id] = word;
        }
    }

    /// <summary>Number of whole-word entries.</summary>
    public int Count => _words.Count;

    /// <summary>The ids of the whole-word entries, ascending.</summary>
    public IReadOnlyList<int> Ids => _words.Keys.Order().ToArray();

    /// <summary>The word an id spells, or null when the id is not a whole word.</summary>
    public string? WordOf(int id) => _words.TryGetValue(id, out var w) ? w : null;

    private static string? Surface(TokenizerKind kind, string token)
    {
        switch (kind)
        {
            case TokenizerKind.WordPiece:
                if (token.StartsWith("##", StringComparison.Ordinal)) return null;
                if (token.StartsWith('[') && token.EndsWith(']')) return null;   // [unused12], [UNK]-like slots
                return token;
            case TokenizerKind.ByteLevelBpe:
                if (!token.StartsWith('Ġ') || token.Length == 1) return null;
                var rest = token[1..];
                return rest.All(c => c is > ' ' and <= '~') ? rest : null;
            default:
                if (!token.StartsWith('▁') || token.Length == 1) return null;
                return token[1..];
        }
    }
}
