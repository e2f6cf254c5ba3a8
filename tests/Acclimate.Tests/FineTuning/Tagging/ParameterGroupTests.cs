using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Training;

namespace Acclimate.Tests.FineTuning.Tagging;

public sealed class ParameterGroupTests
{
    private static FineTuneRecipe Recipe(double layerDecay) => new(
        new FineTuneModelOptions { Encoder = "x", Crf = true },
        new FineTuneDataOptions(),
        new TrainingOptions { LearningRate = 1e-4 },
        new FineTuneOptimizerOptions { HeadLearningRate = 1e-3, CrfLearningRate = 1e-2, LayerDecay = layerDecay },
        new FineTuneOutputOptions(),
        new CrossValidationOptions(),
        new PseudoLabelOptions());

    [Fact]
    public void Encoder_head_and_crf_get_their_own_rates_and_layers_decay()
    {
        var flat = TaggingTask.ParameterGroups(Recipe(1.0), numLayers: 2);
        Assert.Equal(new ParameterGroupChoice("crf", 1e-2), flat("head.crf.transitions"));
        Assert.Equal(new ParameterGroupChoice("head", 1e-3), flat("head.classifier.weight"));
        Assert.Equal(new ParameterGroupChoice("head", 1e-3), flat("head.lstm.weight_ih_l0"));
        Assert.Equal(new ParameterGroupChoice("encoder", 1e-4), flat("bert.encoder.layer.0.output.dense.weight"));

        var decayed = TaggingTask.ParameterGroups(Recipe(0.5), numLayers: 2);
        Assert.Equal(1e-2, decayed("head.crf.start_transitions").LearningRate);
        Assert.Equal(1e-3, decayed("head.classifier.bias").LearningRate);
        Assert.Equal(1e-4 * 0.5, decayed("bert.encoder.layer.1.attention.self.query.weight").LearningRate, 12);
        Assert.Equal(1e-4 * 0.25, decayed("bert.encoder.layer.0.attention.self.query.weight").LearningRate, 12);
        Assert.Equal(1e-4 * 0.125, decayed("bert.embeddings.word_embeddings.weight").LearningRate, 12);
    }

    [Fact]
    public void Every_labeler_parameter_lands_in_a_group()
    {
        using var labeler = TinyLabelers.Create(TokenHeadKind.BiLstm, crf: true, fusion: LayerFusion.ScalarMix, fusedLayers: 3);
        using var optimizer = AdamWOptimizer.Create(labeler, new AdamWSettings(1e-4), TaggingTask.ParameterGroups(Recipe(0.8), labeler.Config.NumHiddenLayers));
        var groups = optimizer.Groups.Select(g => g.Name.Split('/')[0]).Distinct().ToHashSet();
        Assert.Contains("crf", groups);
        Assert.Contains("head", groups);
        Assert.Contains("embeddings", groups);
        Assert.Equal(labeler.parameters().Count(), optimizer.Groups.Sum(g => g.ParameterNames.Count));
    }
}
