using System.Globalization;
using System.Text;
using Acclimate.Tokenization.Pipeline;

namespace Acclimate.Tokenization.SentencePiece;

/// <summary>
/// SentencePiece's precompiled normalization map (nmt_nfkc for ALBERT): a Darts double-array trie
/// from UTF-8 sequences to replacement strings. Applied the way HF's Precompiled normalizer does:
/// per grapheme cluster when it is shorter than 6 UTF-8 bytes, else per character, taking the
/// shortest prefix that has an entry.
/// </summary>
internal sealed class PrecompiledCharsMap
{
    private readonly uint[] _trie;
    private readonly byte[] _normalized;

    private PrecompiledCharsMap(uint[] trie, byte[] normalized)
    {
        _trie = trie;
        _normalized = normalized;
    }

    /// <summary>Parses the blob: a little-endian uint32 trie size in bytes, the trie units, then NUL-terminated replacement strings.</summary>
    public static PrecompiledCharsMap? TryParse(byte[] blob)
    {
        if (blob.Length < 4)
        {
            return null;
        }
        uint trieBytes = BitConverter.ToUInt32(blob, 0);
        if (trieBytes % 4 != 0 || trieBytes > blob.Length - 4)
        {
            throw new InvalidDataException($"precompiled_charsmap declares a {trieBytes}-byte trie in a {blob.Length}-byte blob");
        }
        var trie = new uint[trieBytes / 4];
        Buffer.BlockCopy(blob, 4, trie, 0, (int)trieBytes);
        var normalized = blob.AsSpan(4 + (int)trieBytes).ToArray();
        return new PrecompiledCharsMap(trie, normalized);
    }

    /// <summary>The replacement for the shortest prefix of <paramref name="utf8"/> that has an entry, or null.</summary>
    public string? Transform(ReadOnlySpan<byte> utf8)
    {
        if (_trie.Length == 0)
        {
            return null;
        }
        int nodePos = 0;
        uint unit = _trie[0];
        nodePos ^= (int)Offset(unit);
        foreach (byte c in utf8)
        {
            if (c == 0)
            {
                break;
            }
            nodePos ^= c;
            if ((uint)nodePos >= (uint)_trie.Length)
            {
                return null;
            }
            unit = _trie[nodePos];
            if (Label(unit) != c)
            {
                return null;
            }
            nodePos ^= (int)Offset(unit);
            if (HasLeaf(unit))
            {
                if ((uint)nodePos >= (uint)_trie.Length)
                {
                    return null;
                }
                return ReplacementAt((int)Value(_trie[nodePos]));
            }
        }
        return null;
    }

    private string? ReplacementAt(int index)
    {
        if ((uint)index > (uint)_normalized.Length)
        {
            return null;
        }
        int end = index;
        while (end < _normalized.Length && _normalized[end] != 0)
        {
            end++;
        }
        return Encoding.UTF8.GetString(_normalized, index, end - index);
    }

    private static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;

    private static uint Value(uint unit) => unit & ((1u << 31) - 1);

    private static uint Label(uint unit) => unit & ((1u << 31) | 0xFF);

    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    /// <summary>Normalizes <paramref name="s"/> in place, keeping alignments as HF's Precompiled normalizer does.</summary>
    public void Normalize(AlignedString s)
    {
        string text = s.ToText(out int[] map);
        var dest = new List<(int Cp, int Change)>(s.Length + 8);
        bool modified = false;
        Span<byte> buffer = stackalloc byte[64];
        int pos = 0;
        while (pos < text.Length)
        {
            int len = StringInfo.GetNextTextElementLength(text.AsSpan(pos));
            var grapheme = text.AsSpan(pos, len);
            int byteCount = Encoding.UTF8.GetByteCount(grapheme);
            if (byteCount < 6)
            {
                int written = Encoding.UTF8.GetBytes(grapheme, buffer);
                if (Transform(buffer[..written]) is { } whole)
                {
                    modified = true;
                    Replace(dest, map[pos + len] - map[pos], whole);
                    pos += len;
                    continue;
                }
            }
            for (int i = map[pos]; i < map[pos + len]; i++)
            {
                var rune = new Rune(s[i]);
                int written = rune.EncodeToUtf8(buffer);
                if (Transform(buffer[..written]) is { } part)
                {
                    modified = true;
                    Replace(dest, 1, part);
                }
                else
                {
                    dest.Add((s[i], 0));
                }
            }
            pos += len;
        }
        if (modified)
        {
            s.Transform(dest, 0);
        }
    }

    /// <summary>
    /// HF's bookkeeping for replacing <paramref name="oldCount"/> characters: new characters replace in
    /// order, extra ones are insertions, and a shortfall is charged to the last character emitted so far
    /// (even one from an earlier grapheme, as HF does).
    /// </summary>
    private static void Replace(List<(int Cp, int Change)> dest, int oldCount, string replacement)
    {
        int newCount = 0;
        foreach (var rune in replacement.EnumerateRunes())
        {
            dest.Add((rune.Value, 0));
            newCount++;
        }
        int diff = newCount - oldCount;
        if (diff > 0)
        {
            for (int k = dest.Count - diff; k < dest.Count; k++)
            {
                dest[k] = (dest[k].Cp, 1);
            }
        }
        else if (diff < 0 && dest.Count > 0)
        {
            dest[^1] = (dest[^1].Cp, dest[^1].Change + diff);
        }
    }
}
