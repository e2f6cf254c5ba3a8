using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>Plain text, one sentence per line; words are whitespace-separated and written back with single spaces. Blank lines are skipped.</summary>
internal sealed class TextLinesDataset : AugmentationDataset
{
    private readonly string[] _lines;
    private readonly AugmentableSentence[] _sentences;

    private TextLinesDataset(string path, string[] lines)
    {
        SourceFile = path;
        _lines = lines;
        _sentences = lines.Select(AugmentableSentence.FromText).ToArray();
    }

    public override string SourceFile { get; }

    public override IReadOnlyList<AugmentableSentence> Sentences => _sentences;

    /// <summary>The non-blank lines of <paramref name="path"/>; a file without one is a <see cref="DataException"/>.</summary>
    public static TextLinesDataset Read(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: input file not found.");
        var lines = TextLineReader.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l.Text)).Select(l => l.Text).ToArray();
        if (lines.Length == 0) throw new DataException($"{path}: empty input: no sentences; expected one sentence per line.");
        return new TextLinesDataset(path, lines);
    }

    public override void Write(string path, IReadOnlyList<IReadOnlyList<AugmentedCopy>> outputs)
    {
        CheckOutputs(outputs);
        AtomicFile.WriteText(path, writer =>
        {
            for (var e = 0; e < outputs.Count; e++)
                foreach (var copy in outputs[e])
                    // The original line is written as it was, not re-spaced.
                    writer.WriteLine(copy.Operation is null ? _lines[e] : copy.Sentence.Text);
        });
    }
}
