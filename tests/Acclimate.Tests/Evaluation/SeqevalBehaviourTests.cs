using Acclimate.Data.Tagging;
using Acclimate.Errors;
using Acclimate.Evaluation;

namespace Acclimate.Tests.Evaluation;

/// <summary>
/// The seqeval semantics the fixture README spells out, one at a time, so a regression names the
/// rule it broke; plus errors and the numeric details.
/// </summary>
public sealed class SeqevalBehaviourTests
{
    private static string[][] Corpus(params string[] sentences) => sentences.Select(s => s.Length == 0 ? [] : s.Split(' ')).ToArray();

    // Entities found in `tags` = the support of scoring it against itself.
    private static int Entities(string tags, SeqevalMode mode = SeqevalMode.Default, TaggingScheme? scheme = null)
    {
        var corpus = Corpus(tags);
        return Seqeval.Evaluate(corpus, corpus, mode, scheme).MicroAverage.Support;
    }

    [Theory]
    [InlineData("I-PER I-PER O", 1)]              // I- without B- starts an entity
    [InlineData("B-PER I-LOC I-LOC", 2)]          // a type change splits
    [InlineData("B-PER I-PER O", 1)]              // BIOES read without checks
    [InlineData("S-PER I-PER", 2)]                // S closes; a following I- starts anew
    [InlineData("B-PER E-PER I-PER", 2)]
    [InlineData("B-PER S-PER", 2)]
    [InlineData("S-PER S-PER", 2)]
    [InlineData("B-LOC I-LOC S-LOC", 2)]
    [InlineData("U-PER U-PER", 1)]                // BILOU's U/L are unknown in default mode
    [InlineData("B-PER L-PER B-PER L-PER", 1)]    // and the first entity is lost
    [InlineData("O E-PER O", 1)]
    public void DefaultModeChunking(string tags, int entities) => Assert.Equal(entities, Entities(tags));

    [Theory]
    [InlineData("I-PER I-PER O", TaggingScheme.IOB2, 0)]
    [InlineData("B-PER I-LOC I-LOC", TaggingScheme.IOB2, 1)]
    [InlineData("B-PER I-PER O", TaggingScheme.IOBES, 0)]
    [InlineData("O E-PER O", TaggingScheme.IOBES, 0)]
    [InlineData("O B-PER O", TaggingScheme.IOB1, 0)]           // IOB1: B- only after a same-type chunk
    [InlineData("I-PER B-PER O", TaggingScheme.IOB1, 2)]
    [InlineData("I-PER E-PER O", TaggingScheme.IOE1, 0)]       // seqeval's IOE1 cannot end at E before O
    [InlineData("U-PER U-PER", TaggingScheme.BILOU, 2)]
    [InlineData("B-PER L-PER B-PER L-PER", TaggingScheme.BILOU, 2)]
    [InlineData("I-LOC E-LOC E-LOC", TaggingScheme.IOE2, 2)]
    public void StrictModeDropsWhatItCannotRead(string tags, TaggingScheme scheme, int entities) =>
        Assert.Equal(entities, Entities(tags, SeqevalMode.Strict, scheme));

    [Fact]
    public void DefaultModeJoinsSentencesWithoutCrossingThem()
    {
        // A sentence ending inside an entity and the next starting with I- give two entities.
        var corpus = Corpus("O B-PER", "I-PER O");
        Assert.Equal(2, Seqeval.Evaluate(corpus, corpus).MicroAverage.Support);
    }

    [Fact]
    public void TypesAreSortedByCodePointAndPredictionOnlyTypesHaveZeroSupport()
    {
        var gold = Corpus("B-per O B-PER O B-GPE-LOC I-GPE-LOC");
        var pred = Corpus("B-per O B-PER O B-DATE_TIME O");
        var report = Seqeval.Evaluate(gold, pred);
        Assert.Equal(["DATE_TIME", "GPE-LOC", "PER", "per"], report.Types.Select(t => t.Name));
        Assert.Equal(0, report["DATE_TIME"]!.Support);
        Assert.Equal(0.0, report["DATE_TIME"]!.Precision);
        Assert.Null(report["LOC"]);
    }

    [Fact]
    public void SupplementaryCharactersSortAfterPrivateUseAsPythonDoes()
    {
        // UTF-16 ordinal order would put U+1F600 (a surrogate pair) before U+E000.
        var gold = Corpus("B-\U0001F600 O B-\uE000");
        Assert.Equal(["\uE000", "\U0001F600"], Seqeval.Evaluate(gold, gold).Types.Select(t => t.Name));
    }

    [Fact]
    public void ScoresFollowSeqevalFormulas()
    {
        // gold: PER, LOC, LOC; predicted: PER (right), LOC (wrong span), MISC (spurious)
        var gold = Corpus("B-PER I-PER O B-LOC O B-LOC I-LOC");
        var pred = Corpus("B-PER I-PER O B-LOC I-LOC B-MISC O");
        var r = Seqeval.Evaluate(gold, pred);
        Assert.Equal(new ScoreRow("LOC", 0.0, 0.0, 0.0, 2), r["LOC"]);
        Assert.Equal(new ScoreRow("MISC", 0.0, 0.0, 0.0, 0), r["MISC"]);
        Assert.Equal(new ScoreRow("PER", 1.0, 1.0, 1.0, 1), r["PER"]);
        Assert.Equal(new ScoreRow("micro avg", 1.0 / 3, 1.0 / 3, 2.0 * (1.0 / 3) * (1.0 / 3) / (2.0 / 3), 3), r.MicroAverage);
        Assert.Equal(new ScoreRow("macro avg", 1.0 / 3, 1.0 / 3, 1.0 / 3, 3), r.MacroAverage);
        Assert.Equal(new ScoreRow("weighted avg", 1.0 / 3, 1.0 / 3, 1.0 / 3, 3), r.WeightedAverage);
        Assert.Equal(4.0 / 7, r.Accuracy);
    }

    [Fact]
    public void AveragesAreBitIdenticalToNumpy()
    {
        // 20 types, so numpy sums the per-type scores pairwise (8 accumulators), not left to right.
        // Expected values: numpy 1.24.2 np.average over these counts (Debian 12 python3-numpy); naive
        // left-to-right summation gives 0.4225, 0.42069444444444437, 0.3846608946608946 instead.
        int[] correct = [2, 2, 2, 3, 5, 2, 1, 3, 3, 5, 1, 0, 2, 0, 5, 2, 3, 0, 4, 3];
        int[] predicted = [7, 8, 2, 10, 5, 4, 4, 4, 6, 12, 6, 5, 6, 7, 6, 7, 7, 1, 10, 4];
        int[] gold = [5, 7, 7, 5, 10, 6, 2, 7, 8, 9, 3, 1, 4, 4, 12, 4, 3, 1, 10, 3];
        var yTrue = new List<string[]>();
        var yPred = new List<string[]>();
        for (var k = 0; k < correct.Length; k++)
        {
            var tag = $"B-T{k:00}";
            for (var i = 0; i < correct[k]; i++) { yTrue.Add([tag]); yPred.Add([tag]); }
            for (var i = correct[k]; i < gold[k]; i++) { yTrue.Add([tag]); yPred.Add(["O"]); }
            for (var i = correct[k]; i < predicted[k]; i++) { yTrue.Add(["O"]); yPred.Add([tag]); }
        }
        var r = Seqeval.Evaluate(yTrue, yPred);
        Assert.Equal(20, r.Types.Count);
        Assert.Equal(0.42250000000000004, r.MacroAverage.Precision);
        Assert.Equal(0.4206944444444445, r.MacroAverage.Recall);
        Assert.Equal(0.38466089466089465, r.MacroAverage.F1);
        Assert.Equal(0.5287430287430287, r.WeightedAverage.Precision);
        Assert.Equal(0.43243243243243246, r.WeightedAverage.Recall);
        Assert.Equal(0.43846443846443844, r.WeightedAverage.F1);
    }

    [Fact]
    public void NoEntitiesAnywhereGivesNanMacroAndZeroElsewhere()
    {
        var corpus = Corpus("O O", "O");
        var r = Seqeval.Evaluate(corpus, corpus);
        Assert.Empty(r.Types);
        Assert.True(double.IsNaN(r.MacroAverage.Precision) && double.IsNaN(r.MacroAverage.Recall) && double.IsNaN(r.MacroAverage.F1));
        Assert.Equal(new ScoreRow("micro avg", 0, 0, 0, 0), r.MicroAverage);
        Assert.Equal(new ScoreRow("weighted avg", 0, 0, 0, 0), r.WeightedAverage);
        Assert.Equal(1.0, r.Accuracy);
    }

    [Fact]
    public void NoTokensGivesNanAccuracy() =>
        Assert.True(double.IsNaN(Seqeval.Accuracy(Corpus(""), Corpus(""))));

    [Fact]
    public void NonEntityTagsAreReportedInDefaultModeOnly()
    {
        var corpus = Corpus("U-PER O B-LOC L-LOC U-PER");
        Assert.Equal(["U-PER", "L-LOC"], Seqeval.Evaluate(corpus, corpus).NonEntityTags);
        Assert.Empty(Seqeval.Evaluate(corpus, corpus, SeqevalMode.Strict, TaggingScheme.BILOU).NonEntityTags);
    }

    [Fact]
    public void ShapeMismatchIsADataError()
    {
        var e = Assert.Throws<DataException>(() => Seqeval.Evaluate(Corpus("B-PER O"), Corpus("B-PER")));
        Assert.Contains("sentence 0 has 2 tags in y_true but 1 in y_pred", e.Message);
        Assert.Throws<DataException>(() => Seqeval.Evaluate(Corpus("O", "O"), Corpus("O")));
    }

    [Fact]
    public void StrictModeRejectsPrefixesTheSchemeLacks()
    {
        var e = Assert.Throws<DataException>(() =>
            Seqeval.Evaluate(Corpus("B-PER O", "O S-LOC"), Corpus("B-PER O", "O O"), SeqevalMode.Strict, TaggingScheme.IOB2));
        Assert.Contains("y_true sentence 1, token 1: tag 'S-LOC'", e.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(TaggingScheme.IO)]
    [InlineData(TaggingScheme.IOBS)]
    public void StrictModeNeedsASeqevalScheme(TaggingScheme? scheme) =>
        Assert.Throws<DataException>(() => Seqeval.Evaluate(Corpus("O"), Corpus("O"), SeqevalMode.Strict, scheme));

    [Fact]
    public void EmptyTagIsADataError() =>
        Assert.Throws<DataException>(() => Seqeval.Evaluate([["B-PER", ""]], [["B-PER", "O"]]));

    [Fact]
    public void GoldenComparisonDetectsTheOtherMode()
    {
        // Guards the golden test against a comparison that never fails: where the fixture says the
        // two modes differ, scoring a case in the other mode must be reported as different.
        var differing = SeqevalFixture.Cases.Where(c => c.Mode == SeqevalMode.Strict && c.Json["modes_differ"]!.GetValue<bool>()).ToArray();
        Assert.Equal(80, differing.Length);
        foreach (var c in differing)
            Assert.NotEmpty(SeqevalCaseFile.Differences(c, Seqeval.Evaluate(c.YTrue, c.YPred, SeqevalMode.Default)));
    }
}
