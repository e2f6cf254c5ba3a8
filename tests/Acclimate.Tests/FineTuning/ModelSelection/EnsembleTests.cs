using Acclimate.Data.Tagging;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;

namespace Acclimate.Tests.FineTuning.ModelSelection;

public sealed class EnsembleTests
{
    [Fact]
    public void Mean_averages_element_wise()
    {
        var a = new float[,] { { 1, 2 }, { 3, 4 } };
        var b = new float[,] { { 3, 0 }, { -3, 8 } };
        var mean = Ensemble.Mean(new[] { a, b });
        Assert.Equal(new float[,] { { 2, 1 }, { 0, 6 } }, mean);
    }

    [Fact]
    public void Mean_of_probabilities_softmaxes_each_member_first()
    {
        // Member A is very sure of label 0 with large logits; member B mildly prefers label 1.
        var a = new float[,] { { 10, 0 } };
        var b = new float[,] { { 0, 1 } };
        var p = Ensemble.MeanProbabilities(new[] { a, b });
        var pa0 = 1 / (1 + Math.Exp(-10));
        var pb0 = 1 / (1 + Math.Exp(1));
        Assert.Equal((pa0 + pb0) / 2, p[0, 0], 5);
        Assert.Equal(1 - (pa0 + pb0) / 2, p[0, 1], 5);
        // Averaging the raw scores instead would give (5, 0.5): a different number for label 0.
        Assert.NotEqual(Ensemble.Mean(new[] { a, b })[0, 0], p[0, 0]);
    }

    [Fact]
    public void Shape_mismatch_is_an_error()
    {
        Assert.Throws<Acclimate.Errors.DataException>(() => Ensemble.Mean(new[] { new float[2, 3], new float[3, 3] }));
    }

    [Fact]
    public void Voting_keeps_entities_a_majority_predicts_exactly()
    {
        var members = new IReadOnlyList<string>[]
        {
            new[] { "B-PER", "I-PER", "O", "B-LOC" },
            new[] { "B-PER", "I-PER", "O", "O" },
            new[] { "B-PER", "O", "O", "B-LOC" },
        };
        // PER[0,2) has 2 votes, PER[0,1) 1, LOC[3,4) 2.
        Assert.Equal(new[] { "B-PER", "I-PER", "O", "B-LOC" }, Ensemble.VoteEntities(members, TaggingScheme.IOB2));
        // Unanimity needed: no entity has 3 of 3 votes, so nothing survives.
        Assert.Equal(new[] { "O", "O", "O", "O" }, Ensemble.VoteEntities(members, TaggingScheme.IOB2, minVotes: 3));
    }

    [Fact]
    public void Overlapping_survivors_are_resolved_by_votes_then_length()
    {
        var members = new IReadOnlyList<string>[]
        {
            new[] { "B-ORG", "I-ORG", "I-ORG" },
            new[] { "B-ORG", "I-ORG", "I-ORG" },
            new[] { "O", "B-LOC", "I-LOC" },
            new[] { "O", "B-LOC", "I-LOC" },
            new[] { "B-ORG", "I-ORG", "I-ORG" },
        };
        Assert.Equal(new[] { "B-ORG", "I-ORG", "I-ORG" }, Ensemble.VoteEntities(members, TaggingScheme.IOB2, minVotes: 2));
        // BIOES output: encoding follows the scheme.
        var bioes = members.Select(m => (IReadOnlyList<string>)TagConverter.Convert(m, TaggingScheme.IOB2, TaggingScheme.IOBES)).ToArray();
        Assert.Equal(new[] { "B-ORG", "I-ORG", "E-ORG" }, Ensemble.VoteEntities(bioes, TaggingScheme.IOBES, minVotes: 2));
    }

    [Fact]
    public void Token_voting_takes_the_majority_and_breaks_ties_by_member_order()
    {
        var members = new IReadOnlyList<string>[] { new[] { "nn", "vb" }, new[] { "nn", "jj" }, new[] { "vb", "rb" } };
        Assert.Equal(new[] { "nn", "vb" }, Ensemble.VoteTokens(members));
    }
}
