using Acclimate.Data.Tagging;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Tagging;
using Acclimate.Models;
using static TorchSharp.torch;

namespace Acclimate.Tests.FineTuning.Tagging;

/// <summary>
/// A saved tagger folder as <c>acclimate finetune</c> writes one (labeler files, tokenizer files,
/// tagging.json), from a tiny random model over the bert-base-cased vocabulary: loads with
/// <c>TaggerEnsemble.Load</c> in well under a second. Inputs of 16 tokens, stride 4, so a long
/// sentence is tagged through sliding windows.
/// </summary>
internal static class TinyTaggerFolder
{
    public static readonly string[] Labels = { "O", "B-PER", "I-PER", "B-LOC", "I-LOC" };

    public static string Create(string folder, bool crf, int seed = 7, int maxLength = 16, int stride = 4)
    {
        var tokenizerFolder = TestPaths.Fixture("tokenizers", "bert-base-cased");
        var vocabSize = File.ReadLines(Path.Combine(tokenizerFolder, "vocab.txt")).Count();
        var space = new TagSpace(TaggingScheme.IOB2, TaggingScheme.IOB2, Labels);
        manual_seed(seed);
        var config = EncoderConfig.Create(ModelType.Bert, vocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 24, maxPositions: 64);
        using var labeler = SequenceLabeler.Create(config, new SequenceLabelerOptions
        {
            Labels = Labels,
            Head = TokenHeadKind.Linear,
            UseCrf = crf,
            CrfConstraints = crf ? space.Constraints() : null,
        });
        if (labeler.Head.Crf is { } c)
            using (no_grad())
            {
                // Untrained CRF scores are ±0.1; larger ones make the posterior far from uniform, as after training.
                c.Transitions.copy_(randn(Labels.Length, Labels.Length) * 1.5);
                c.StartTransitions.copy_(randn(Labels.Length));
            }
        labeler.Save(folder, target =>
        {
            foreach (var file in Directory.GetFiles(tokenizerFolder).Where(f => !f.EndsWith(".jsonl", StringComparison.Ordinal)))
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        });
        new TaggingModelInfo(TaggingScheme.IOB2, TaggingScheme.IOB2, maxLength, stride).Save(folder);
        return folder;
    }
}
