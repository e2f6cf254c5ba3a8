using System.Text.Json.Nodes;
using Acclimate.Data.Datasets;
using Acclimate.Data.Tagging;
using Acclimate.FineTuning.Tagging;

namespace Acclimate.Tests.FineTuning.Tagging;

/// <summary>
/// A checkpoint keeps each epoch's <see cref="TaggingScores"/> as JSON so that a resumed run's
/// epochs.md shows the earlier tables: the JSON must give back equal scores, for entity scores
/// (with a scheme) and per-tag scores (without), NaN included.
/// </summary>
public sealed class TaggingScoresJsonTests
{
    private static TaggedSentence[] Sentences(string[][] tags) =>
        tags.Select((t, i) => new TaggedSentence(t.Select((_, k) => $"w{k}").ToArray(), t, "test.conll", i + 1, true)).ToArray();

    public static TheoryData<string> Cases => new() { "iob2", "bilou-default-mode", "pos", "no-tokens" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scores_read_back_from_their_json_equal_the_originals(string name)
    {
        var scores = name switch
        {
            "iob2" => TaggingScores.Compute(Sentences([["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]), [["B-PER", "I-PER", "O", "O"], ["B-ORG", "B-LOC"]], TaggingScheme.IOB2),
            "bilou-default-mode" => TaggingScores.Compute(Sentences([["U-PER", "O", "B-LOC", "L-LOC"]]), [["U-PER", "O", "B-LOC", "L-LOC"]], TaggingScheme.BILOU),
            "pos" => TaggingScores.Compute(Sentences([["NN", "VB", "DT"], ["NN"]]), [["NN", "NN", "DT"], ["VB"]], null),
            // No tokens: accuracy is NaN, and the macro average over no classes too.
            _ => TaggingScores.Compute(Sentences([[]]), [[]], null),
        };
        // Through text, as trainer_state.json stores it.
        var restored = TaggingScores.FromJson(JsonNode.Parse(scores.ToJson().ToJsonString())!);

        Assert.Equal(scores.ToMarkdown(), restored.ToMarkdown());
        Assert.Equal(scores.Metrics().OrderBy(kv => kv.Key), restored.Metrics().OrderBy(kv => kv.Key));
        Assert.Equal(scores.Rows(), restored.Rows());
        Assert.Equal(scores.Entities?.NonEntityTags, restored.Entities?.NonEntityTags);
        Assert.Equal(scores.Entities?.Mode, restored.Entities?.Mode);
        Assert.Equal(scores.Entities?.WeightedAverage, restored.Entities?.WeightedAverage);
        Assert.Equal(scores.Tags?.Total, restored.Tags?.Total);
        Assert.Equal(scores.Tags?.WeightedAverage, restored.Tags?.WeightedAverage);
        if (name == "no-tokens") Assert.True(double.IsNaN(restored.Accuracy) && double.IsNaN(restored.Tags!.MacroF1));
    }
}
