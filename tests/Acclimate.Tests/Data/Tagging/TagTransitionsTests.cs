using Acclimate.Data.Tagging;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Tagging;

public sealed class TagTransitionsTests
{
    [Fact]
    public void LabelsForListsOThenEachTypeInSchemeOrder()
    {
        Assert.Equal(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"], TagTransitions.LabelsFor(TaggingScheme.IOB2, ["PER", "LOC"]));
        Assert.Equal(["O", "B-X", "I-X", "L-X", "U-X"], TagTransitions.LabelsFor(TaggingScheme.BILOU, ["X"]));
        Assert.Equal(["O", "I-X"], TagTransitions.LabelsFor(TaggingScheme.IO, ["X", "X"]));
    }

    [Fact]
    public void Iob2TableFollowsTheLabelOrder()
    {
        string[] labels = ["B-LOC", "O", "I-PER", "B-PER", "I-LOC"];
        var t = TagTransitions.For(TaggingScheme.IOB2, labels);
        int Id(string label) => Array.IndexOf(labels, label);
        Assert.True(t.IsAllowed(Id("B-PER"), Id("I-PER")));
        Assert.True(t.IsAllowed(Id("I-PER"), Id("I-PER")));
        Assert.False(t.IsAllowed(Id("O"), Id("I-PER")));
        Assert.False(t.IsAllowed(Id("B-PER"), Id("I-LOC")));
        Assert.True(t.IsAllowed(Id("I-LOC"), Id("B-LOC")));
        Assert.False(t.IsAllowedStart(Id("I-LOC")));
        Assert.True(t.IsAllowedStart(Id("B-LOC")));
        Assert.All(Enumerable.Range(0, labels.Length), i => Assert.True(t.IsAllowedEnd(i)));
        // 25 pairs minus the I- moves that do not continue their own type: 4 bad sources for each I-.
        Assert.Equal(25 - 2 * 3, t.AllowedPairs().Count());
    }

    [Fact]
    public void IobesTableForbidsOpenEndsAtTheEdges()
    {
        var labels = TagTransitions.LabelsFor(TaggingScheme.IOBES, ["PER"]);
        var t = TagTransitions.For(TaggingScheme.IOBES, labels);
        var allowedStarts = Enumerable.Range(0, labels.Count).Where(t.IsAllowedStart).Select(i => labels[i]);
        var allowedEnds = Enumerable.Range(0, labels.Count).Where(t.IsAllowedEnd).Select(i => labels[i]);
        Assert.Equal(["O", "B-PER", "S-PER"], allowedStarts);
        Assert.Equal(["O", "E-PER", "S-PER"], allowedEnds);
        var pairs = t.AllowedPairs().Select(p => $"{labels[p.From]}>{labels[p.To]}").ToHashSet();
        Assert.Equal(
            new HashSet<string>
            {
                "O>O", "O>B-PER", "O>S-PER", "E-PER>O", "E-PER>B-PER", "E-PER>S-PER", "S-PER>O", "S-PER>B-PER", "S-PER>S-PER",
                "B-PER>I-PER", "B-PER>E-PER", "I-PER>I-PER", "I-PER>E-PER",
            },
            pairs);
    }

    [Fact]
    public void ForRejectsLabelsOutsideTheScheme()
    {
        var e = Assert.Throws<DataException>(() => TagTransitions.For(TaggingScheme.IOB2, ["O", "B-PER", "E-PER"]));
        Assert.Contains("label 2 'E-PER'", e.Message);
        Assert.Throws<DataException>(() => TagTransitions.For(TaggingScheme.IOB2, ["O", "B-PER", "B-PER"]));
    }

    [Fact]
    public void TableAgreesWithStrictDecoding()
    {
        // A path through the table is legal exactly when strict decoding accepts it.
        foreach (var scheme in TaggingSchemes.All)
        {
            var labels = TagTransitions.LabelsFor(scheme, ["A", "B"]);
            var t = TagTransitions.For(scheme, labels);
            var random = new Random(7);
            for (var trial = 0; trial < 500; trial++)
            {
                var ids = Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(labels.Count)).ToArray();
                var byTable = t.IsAllowedStart(ids[0]) && t.IsAllowedEnd(ids[^1])
                    && ids.Zip(ids.Skip(1)).All(p => t.IsAllowed(p.First, p.Second));
                Assert.Equal(byTable, TagDecoder.IsLegal(ids.Select(i => labels[i]).ToArray(), scheme, out _));
            }
        }
    }
}
