using System.Text;
using System.Text.Json;
using Acclimate.Errors;

namespace Acclimate.Tokenization.Bpe;

/// <summary>Reads vocab.json and merges.txt with errors that name the file and line.</summary>
internal static class BpeVocabularyFiles
{
    public static Dictionary<string, int> ReadVocab(string path)
    {
        Dictionary<string, int>? vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new TokenizerException(
                $"{path}: malformed vocabulary at line {(e.LineNumber ?? 0) + 1}: expected a JSON object mapping token strings to integer ids ({e.Message})", e);
        }
        if (vocab is null || vocab.Count == 0)
        {
            throw new TokenizerException($"{path}: the vocabulary is empty; expected a JSON object mapping token strings to ids.");
        }
        foreach (var (token, id) in vocab)
        {
            if (id < 0)
            {
                throw new TokenizerException($"{path}: token \"{token}\" has negative id {id}.");
            }
        }
        return vocab;
    }

    /// <summary>
    /// Reads merges.txt: an optional "#version" first line, then one "left right" pair per line in rank
    /// order. Both halves and their concatenation must be in the vocabulary, as HF checks.
    /// </summary>
    public static List<(string Left, string Right)> ReadMerges(string path, IReadOnlyDictionary<string, int> vocab)
    {
        var merges = new List<(string, string)>();
        int lineNumber = 0;
        foreach (var raw in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }
            var parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw new TokenizerException(
                    $"{path}, line {lineNumber}: malformed merge \"{line}\"; expected two tokens separated by one space.");
            }
            foreach (var token in new[] { parts[0], parts[1], parts[0] + parts[1] })
            {
                if (!vocab.ContainsKey(token))
                {
                    throw new TokenizerException(
                        $"{path}, line {lineNumber}: merge \"{line}\" uses \"{token}\", which is not in vocab.json.");
                }
            }
            merges.Add((parts[0], parts[1]));
        }
        return merges;
    }
}
