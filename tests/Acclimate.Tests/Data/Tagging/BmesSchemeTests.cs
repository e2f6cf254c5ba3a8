using Acclimate.Data.Datasets;
using Acclimate.Data.Tagging;
using Acclimate.Errors;
using Acclimate.Evaluation;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.Tests.Data.Tagging;

/// <summary>BMES / BMEOS (Chinese NER corpora such as Resume): IOBES with M for I.</summary>
public sealed class BmesSchemeTests
{
    [Fact]
    public void BmesAndItsAliasesParseAndMIsLegalOnlyInsideAnEntity()
    {
        Assert.Equal(TaggingScheme.BMES, TaggingSchemes.Parse("bmes"));
        Assert.Equal(TaggingScheme.BMES, TaggingSchemes.Parse("BMEOS"));
        Assert.True(TagDecoder.IsLegal(["B-CONT", "M-CONT", "M-CONT", "E-CONT", "O", "S-NAME"], TaggingScheme.BMES, out _));
        Assert.False(TagDecoder.IsLegal(["O", "M-CONT", "E-CONT"], TaggingScheme.BMES, out var problem));
        Assert.Contains("M-CONT", problem);
        // An I- tag is not BMES, and M- is not IOBES: each scheme names what it expected.
        var wrongPrefix = Assert.Throws<DataException>(() => TaggingSchemes.ParseSequence(["B-X", "I-X", "E-X"], TaggingScheme.BMES));
        Assert.Contains("'I-X'", wrongPrefix.Message);
        Assert.Contains("B, M, E, S", wrongPrefix.Message);
        Assert.Throws<DataException>(() => TaggingSchemes.ParseSequence(["B-X", "M-X", "E-X"], TaggingScheme.IOBES));
    }

    [Fact]
    public void BmesIsScoredExactlyAsSeqevalScoresItsIobesForm()
    {
        string[][] gold = [["B-ORG", "M-ORG", "E-ORG", "O", "S-NAME"], ["B-TITLE", "E-TITLE", "O"]];
        string[][] pred = [["B-ORG", "M-ORG", "E-ORG", "O", "O"], ["B-TITLE", "M-TITLE", "E-TITLE"]];
        var sentences = gold.Select((tags, i) => new TaggedSentence(tags.Select((_, k) => $"w{k}").ToArray(), tags, "test.bmes", i + 1, true)).ToArray();
        var scores = TaggingScores.Compute(sentences, pred, TaggingScheme.BMES).Metrics();
        static string[][] Iobes(string[][] s) => s.Select(t => t.Select(x => x.StartsWith("M-", StringComparison.Ordinal) ? "I-" + x[2..] : x).ToArray()).ToArray();
        var reference = Seqeval.Evaluate(Iobes(gold), Iobes(pred));
        Assert.Equal(reference.MicroAverage.F1, scores["f1"], 12);
        // One of three gold entities is found (ORG); TITLE is predicted one token too long, NAME missed.
        Assert.Equal(0.4, scores["f1"], 12);
        Assert.Equal(Seqeval.Evaluate(Iobes(gold), Iobes(pred), SeqevalMode.Strict, TaggingScheme.IOBES).MicroAverage.F1, scores["strict_f1"], 12);
    }
}
