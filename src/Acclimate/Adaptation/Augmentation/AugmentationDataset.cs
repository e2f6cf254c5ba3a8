using Acclimate.Data.Tagging;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// The examples of one input file as sentences to augment, and how to write them back in the same
/// format: <see cref="TextLinesDataset"/>, <see cref="ClassificationDataset"/>, <see cref="ConllDataset"/>.
/// </summary>
public abstract class AugmentationDataset
{
    /// <summary>The file the examples came from.</summary>
    public abstract string SourceFile { get; }

    /// <summary>One sentence per example, in file order.</summary>
    public abstract IReadOnlyList<AugmentableSentence> Sentences { get; }

    /// <summary>
    /// Writes the output: for each example (in file order) its outputs, as <see cref="Augmenter.Augment"/>
    /// returned them, in this dataset's format. The file is written atomically.
    /// </summary>
    public abstract void Write(string path, IReadOnlyList<IReadOnlyList<AugmentedCopy>> outputs);

    /// <summary>Reads <paramref name="path"/> as <paramref name="format"/>; <paramref name="scheme"/> is the CoNLL tags' scheme.</summary>
    public static AugmentationDataset Read(string path, AugmentationFormat format, TaggingScheme scheme = TaggingScheme.IOB2) => format switch
    {
        AugmentationFormat.Conll => ConllDataset.Read(path, scheme),
        AugmentationFormat.Classification => ClassificationDataset.Read(path),
        _ => TextLinesDataset.Read(path),
    };

    /// <summary>Checks the outputs line up with the examples.</summary>
    protected void CheckOutputs(IReadOnlyList<IReadOnlyList<AugmentedCopy>> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count != Sentences.Count)
            throw new ArgumentException($"{outputs.Count} output groups for {Sentences.Count} examples of {SourceFile}.", nameof(outputs));
    }
}
