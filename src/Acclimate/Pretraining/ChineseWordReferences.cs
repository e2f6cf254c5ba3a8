using System.Text.Json;
using Acclimate.Errors;
using Acclimate.IO;
using Acclimate.Tokenization;

namespace Acclimate.Pretraining;

/// <summary>
/// Reads a whole-word reference file as HF's run_mlm_wwm uses for Chinese: one JSON array of
/// integers per line, the positions (in the tokenized sequence, special tokens included) of
/// characters that continue a word. As HF, blank lines are skipped, so line k of the non-blank
/// lines belongs to example k.
/// </summary>
public static class ChineseWordReferences
{
    /// <summary>Every reference list of the file, in order; errors name the file and line.</summary>
    public static IReadOnlyList<int[]> Read(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: whole-word reference file not found.");
        var result = new List<int[]>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            result.Add(ParseLine(line, path, lineNumber));
        }
        return result;
    }

    /// <summary>Parses one line (a JSON array of non-negative, strictly increasing integers).</summary>
    public static int[] ParseLine(string line, string source = "reference", int lineNumber = 1)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(line);
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new DataException($"{source}:{lineNumber}: not valid JSON ({e.Message}); expected an array of token positions like [2, 5].", e);
        }
        if (root.ValueKind != JsonValueKind.Array)
            throw new DataException($"{source}:{lineNumber}: expected a JSON array of token positions, found {root.ValueKind}.");
        var positions = new int[root.GetArrayLength()];
        var i = 0;
        foreach (var item in root.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var p) || p < 0)
                throw new DataException($"{source}:{lineNumber}: item {i} is {item.GetRawText()}; expected a non-negative integer position.");
            if (i > 0 && p <= positions[i - 1])
                throw new DataException($"{source}:{lineNumber}: positions must increase; {p} follows {positions[i - 1]}.");
            positions[i++] = p;
        }
        return positions;
    }

    /// <summary>
    /// The reference of one text, as HF's run_chinese_ref.py computes it from a segmenter's words: the
    /// positions (in <paramref name="tokenizer"/>'s ids with special tokens, so [CLS] = 0) of the
    /// tokens that are single Chinese characters inside a word of two or more Chinese characters,
    /// after that word's first.
    /// </summary>
    /// <param name="words">Word spans in <paramref name="text"/> (e.g. <see cref="ChineseWordSegmenter.Words"/>).</param>
    public static int[] Build(string text, ITextTokenizer tokenizer, IReadOnlyList<(int Start, int End)> words)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(words);
        // For every character, the start of the all-Chinese multi-character word it belongs to (or -1).
        var wordStart = new int[text.Length];
        Array.Fill(wordStart, -1);
        foreach (var (start, end) in words)
        {
            if (end - start < 2 || !AllChinese(text, start, end)) continue;
            for (var c = start; c < end; c++) wordStart[c] = start;
        }
        var encoded = tokenizer.Encode(text);
        var positions = new List<int>();
        for (var i = 0; i < encoded.Count; i++)
        {
            if (encoded.SpecialTokensMask[i] == 1) continue;
            var span = encoded.Offsets[i];
            if (span.Length == 0 || span.End > text.Length) continue;
            var oneCharacter = span.Length == (char.IsSurrogatePair(text, span.Start) ? 2 : 1);
            if (!oneCharacter || !AllChinese(text, span.Start, span.End)) continue;
            if (wordStart[span.Start] >= 0 && wordStart[span.Start] < span.Start) positions.Add(i);
        }
        return positions.ToArray();
    }

    /// <summary>
    /// Writes the reference file of a corpus (one text per line; blank lines skipped, as HF does and as
    /// <see cref="Read"/> expects), segmenting with <see cref="ChineseWordSegmenter"/>. Returns the lines written.
    /// </summary>
    public static int Write(string corpusPath, string outputPath, ITextTokenizer tokenizer)
    {
        if (!File.Exists(corpusPath)) throw new DataException($"{corpusPath}: corpus file not found.");
        var count = 0;
        AtomicFile.WriteText(outputPath, writer =>
        {
            foreach (var line in File.ReadLines(corpusPath))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                writer.WriteLine("[" + string.Join(", ", Build(line, tokenizer, ChineseWordSegmenter.Words(line))) + "]");
                count++;
            }
        });
        return count;
    }

    /// <summary>Whether every code point of text[start, end) is a CJK ideograph (HF's _is_chinese_char ranges).</summary>
    private static bool AllChinese(string text, int start, int end)
    {
        for (var c = start; c < end; c++)
        {
            var cp = char.ConvertToUtf32(text, c);
            if (cp > 0xFFFF) c++;
            var chinese = cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF) or (>= 0x2A700 and <= 0x2B73F)
                or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
            if (!chinese) return false;
        }
        return true;
    }
}
