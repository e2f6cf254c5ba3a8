using Acclimate.Errors;
using Acclimate.FineTuning;

namespace Acclimate.Tests.FineTuning;

public sealed class SubwordAlignmentTests
{
    private static readonly string[] Labels = { "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "S-ORG", "I-ORG", "E-ORG" };

    // [CLS] John(0) Sm(1) ##ith(1) ##son(1) lives(2) in(3) New(4) Yo(5) ##rk(5) [SEP]
    private static readonly int?[] WordIds = { null, 0, 1, 1, 1, 2, 3, 4, 5, 5, null };
    private static readonly string[] WordLabels = { "B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC" };

    [Fact]
    public void FirstSubwordOnlyLabelsTheFirstTokenOfEachWord()
    {
        var ids = SubwordAlignment.AlignLabels(WordLabels, WordIds, Labels, LabelAlignment.FirstSubword);
        Assert.Equal(new long[] { -100, 1, 2, -100, -100, 0, 0, 3, 4, -100, -100 }, ids);
    }

    [Fact]
    public void AllSubwordsGiveContinuationsTheInsideTagNeverASecondB()
    {
        // "New" is B-LOC and one token; "Yo ##rk" is I-LOC; a B- word split in pieces continues with I-.
        var wordIds = new int?[] { null, 0, 0, 0, 1, 2, 2, null };
        var wordLabels = new[] { "B-PER", "O", "B-LOC" };
        var ids = SubwordAlignment.AlignLabels(wordLabels, wordIds, Labels, LabelAlignment.AllSubwords);
        Assert.Equal(new long[] { -100, 1, 2, 2, 0, 3, 4, -100 }, ids);
        var all = SubwordAlignment.AlignLabels(WordLabels, WordIds, Labels, LabelAlignment.AllSubwords);
        Assert.Equal(new long[] { -100, 1, 2, 2, 2, 0, 0, 3, 4, 4, -100 }, all);
    }

    [Theory]
    [InlineData("B-PER", "I-PER")]
    [InlineData("I-PER", "I-PER")]
    [InlineData("E-ORG", "I-ORG")]
    [InlineData("S-ORG", "I-ORG")]
    [InlineData("U-MISC", "I-MISC")]
    [InlineData("L-MISC", "I-MISC")]
    [InlineData("B_geo-loc", "I_geo-loc")]
    [InlineData("O", "O")]
    [InlineData("NOUN", "NOUN")]
    [InlineData("B", "B")]
    [InlineData("PRP$", "PRP$")]
    public void ContinuationTagTakesTheInsideTagOfTheType(string tag, string expected) =>
        Assert.Equal(expected, SubwordAlignment.ContinuationTag(tag));

    [Fact]
    public void MissingLabelsAndBrokenWordIdsAreDataErrors()
    {
        var error = Assert.Throws<DataException>(() => SubwordAlignment.AlignLabels(new[] { "B-MISC" }, new int?[] { 0 }, Labels, LabelAlignment.FirstSubword));
        Assert.Contains("B-MISC", error.Message);
        // The continuation tag must exist in the label set too.
        var continuation = Assert.Throws<DataException>(() =>
            SubwordAlignment.AlignLabels(new[] { "B-X" }, new int?[] { 0, 0 }, new[] { "O", "B-X" }, LabelAlignment.AllSubwords));
        Assert.Contains("I-X", continuation.Message);
        Assert.Throws<DataException>(() => SubwordAlignment.AlignLabels(new[] { "O" }, new int?[] { 0, 1 }, Labels, LabelAlignment.FirstSubword));
        Assert.Throws<DataException>(() => SubwordAlignment.WordStarts(new int?[] { 0, 1, 0 }));
        Assert.Throws<DataException>(() => SubwordAlignment.WordStarts(new int?[] { 0, null, 0 }));
        Assert.Throws<ConfigException>(() => SubwordAlignment.AlignLabels(new[] { "O" }, new int?[] { 0 }, new[] { "O", "O" }, LabelAlignment.FirstSubword));
    }

    [Fact]
    public void PredictionsMapBackToWordsThroughTheFirstSubword()
    {
        var tokenPredictions = new[] { 9, 1, 2, 7, 7, 0, 0, 3, 4, 8, 9 };
        Assert.Equal(new[] { 1, 2, 0, 0, 3, 4 }, SubwordAlignment.ToWords(tokenPredictions, WordIds, 6, -1));
        // A word the tokenizer dropped (word 1) and one truncated away (word 3) get the missing value.
        var gappy = new int?[] { null, 0, 2, 2, null };
        Assert.Equal(new[] { 5, -1, 6, -1 }, SubwordAlignment.ToWords(new[] { 0, 5, 6, 7, 0 }, gappy, 4, -1));
        Assert.Equal(new[] { 1, -1, 2, -1 }, SubwordAlignment.FirstTokenOfEachWord(gappy, 4));
        Assert.Equal(new[] { false, true, true, false, false }, SubwordAlignment.WordStarts(gappy));
    }

    [Fact]
    public void AlignmentRoundTripsWordLabelsForRandomSegmentations()
    {
        var rng = new Random(17);
        for (var trial = 0; trial < 200; trial++)
        {
            var words = rng.Next(0, 12);
            var wordLabels = Enumerable.Range(0, words).Select(_ => Labels[rng.Next(5)]).ToArray();
            var wordIds = new List<int?> { null };
            for (var w = 0; w < words; w++)
                for (var piece = rng.Next(1, 4); piece > 0; piece--) wordIds.Add(w);
            wordIds.Add(null);
            foreach (var alignment in new[] { LabelAlignment.FirstSubword, LabelAlignment.AllSubwords })
            {
                var ids = SubwordAlignment.AlignLabels(wordLabels, wordIds, Labels, alignment);
                var back = SubwordAlignment.ToWords(ids, wordIds, words, -1L).Select(id => Labels[id]).ToArray();
                Assert.Equal(wordLabels, back);
                var starts = SubwordAlignment.WordStarts(wordIds);
                Assert.Equal(words, starts.Count(s => s));
                for (var i = 0; i < ids.Length; i++)
                {
                    if (alignment == LabelAlignment.FirstSubword) Assert.Equal(starts[i], ids[i] != -100);
                    else if (!starts[i] && ids[i] != -100) Assert.False(Labels[ids[i]].StartsWith("B-", StringComparison.Ordinal));
                }
            }
        }
    }
}
