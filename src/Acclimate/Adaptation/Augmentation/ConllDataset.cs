using Acclimate.Data.Datasets;
using Acclimate.Data.Tagging;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// A CoNLL tagging file (as <see cref="ConllReader"/> reads it) whose tags are entity tags in a scheme:
/// each sentence's mentions are decoded from its tags and kept whole by every operation, and the
/// output is <c>token&lt;TAB&gt;tag</c> lines with the tags written from the (possibly moved or
/// replaced) mentions in the same scheme. Other columns of the input are not carried over. Tags that
/// break the scheme's rules (an I- after O in BIO) are read as conlleval reads them; the kept original
/// is written with its tags as they were, its copies with legal tags; <see cref="RepairedSentences"/>
/// counts such sentences.
/// </summary>
public sealed class ConllDataset : AugmentationDataset
{
    private readonly AugmentableSentence[] _sentences;
    private readonly IReadOnlyList<string>[] _tags;   // as the file has them

    private ConllDataset(string path, TaggingScheme scheme, AugmentableSentence[] sentences, IReadOnlyList<string>[] tags, int repaired)
    {
        SourceFile = path;
        Scheme = scheme;
        _sentences = sentences;
        _tags = tags;
        RepairedSentences = repaired;
    }

    /// <inheritdoc />
    public override string SourceFile { get; }

    /// <inheritdoc />
    public override IReadOnlyList<AugmentableSentence> Sentences => _sentences;

    /// <summary>The scheme of the file's tags, used again for the output.</summary>
    public TaggingScheme Scheme { get; }

    /// <summary>Sentences whose tags were not legal in <see cref="Scheme"/> and were repaired on reading.</summary>
    public int RepairedSentences { get; }

    /// <summary>
    /// Reads every sentence; a tag that does not parse or uses a prefix the scheme lacks is a
    /// <see cref="DataException"/> naming the file and line, as is a file without sentences.
    /// </summary>
    public static ConllDataset Read(string path, TaggingScheme scheme)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: input file not found.");
        var sentences = new List<AugmentableSentence>();
        var tags = new List<IReadOnlyList<string>>();
        var repaired = 0;
        foreach (var s in ConllReader.Read(path))
        {
            for (var i = 0; i < s.Tags.Count; i++)
                if (!Tag.TryParse(s.Tags[i], out var tag) || !TaggingSchemes.Allows(scheme, tag.Prefix))
                    throw new DataException($"{path}:{s.TokenLine(i)}: tag '{s.Tags[i]}' is not a {scheme} tag (expected O or a prefix among " +
                                            $"{string.Join("/", TaggingSchemes.Prefixes(scheme).Skip(1))} followed by '-TYPE'); give the file's scheme with --scheme.");
            if (!TagDecoder.IsLegal(s.Tags, scheme, out _)) repaired++;
            sentences.Add(new AugmentableSentence(s.Words, TagDecoder.Decode(s.Tags, scheme, TagReading.Lenient)));
            tags.Add(s.Tags);
        }
        return new ConllDataset(path, scheme, sentences.ToArray(), tags.ToArray(), repaired);
    }

    /// <summary>The tags of a sentence in <paramref name="scheme"/>.</summary>
    public static string[] TagsOf(AugmentableSentence sentence, TaggingScheme scheme) =>
        TagEncoder.Encode(sentence.Entities, sentence.Words.Count, scheme);

    /// <inheritdoc />
    public override void Write(string path, IReadOnlyList<IReadOnlyList<AugmentedCopy>> outputs)
    {
        CheckOutputs(outputs);
        AtomicFile.WriteText(path, writer =>
        {
            var first = true;
            for (var e = 0; e < outputs.Count; e++)
                foreach (var copy in outputs[e])
                {
                    if (!first) writer.WriteLine();
                    first = false;
                    var tags = copy.Operation is null ? _tags[e] : TagsOf(copy.Sentence, Scheme);
                    for (var i = 0; i < tags.Count; i++) writer.WriteLine($"{copy.Sentence.Words[i]}\t{tags[i]}");
                }
        });
    }
}
