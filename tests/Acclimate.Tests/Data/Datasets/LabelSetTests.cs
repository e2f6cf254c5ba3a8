using Acclimate.Data.Datasets;
using Acclimate.Errors;

namespace Acclimate.Tests.Data.Datasets;

public sealed class LabelSetTests
{
    private static string Fixture(string group, string name) => TestPaths.Fixture("data", group, name);

    [Fact]
    public void TagSetPutsOFirstThenSortsOrdinally()
    {
        var tags = LabelSet.ForTags(ConllReader.Read(Fixture("ner-en", "wnut17-train.conll")));
        Assert.Equal(new[] { "O", "B-corporation", "B-creative-work", "B-group", "B-location", "B-person", "I-location" }, tags);
        Assert.Equal(tags, LabelSet.ForTags(ConllReader.Read(Fixture("ner-en", "wnut17-train.conll")).Reverse()));
    }

    [Fact]
    public void EvaluationTagMissingFromTrainingNamesFileLineAndTag()
    {
        var tags = LabelSet.ForTags(ConllReader.Read(Fixture("ner-en", "wnut17-train.conll")));
        var dev = Fixture("ner-en", "wnut17-dev.conll");
        var e = Assert.Throws<DataException>(() => LabelSet.CheckTagsCovered(tags, ConllReader.Read(dev)));
        Assert.Contains(dev + ":44:", e.Message); // "and<TAB>I-creative-work" is line 44 of the excerpt
        Assert.Contains("tag 'I-creative-work'", e.Message);
        Assert.Contains("token 'and'", e.Message);

        var withIt = tags.Append("I-creative-work").ToArray();
        LabelSet.CheckTagsCovered(withIt, ConllReader.Read(dev)); // nothing else is missing
    }

    [Fact]
    public void ClassificationLabelsAreSortedAndCoverageIsChecked()
    {
        var train = ClassificationReader.Read(Fixture("cls-domain", "chemprot-train.jsonl")).ToList();
        var labels = LabelSet.ForLabels(train);
        Assert.Equal(new[] { "INHIBITOR" }, labels);
        var dev = Fixture("cls-domain", "chemprot-dev.jsonl");
        var e = Assert.Throws<DataException>(() => LabelSet.CheckLabelsCovered(labels, ClassificationReader.Read(dev)));
        Assert.Contains(dev + ":1:", e.Message);
        Assert.Contains("label 'INDIRECT-DOWNREGULATOR'", e.Message);

        var mixed = new[] { "b", "B", "a", "b" }.Select(l => new ClassificationExample("t", null, l, "f", 1));
        Assert.Equal(new[] { "B", "a", "b" }, LabelSet.ForLabels(mixed));
    }

    [Fact]
    public void TagSetWithoutOIsJustSorted()
    {
        var sentences = new[] { new TaggedSentence(new[] { "a", "b" }, new[] { "NN", "DT" }, "f", 1, oneTokenPerLine: true) };
        Assert.Equal(new[] { "DT", "NN" }, LabelSet.ForTags(sentences));
    }
}
