using Acclimate.Errors;
using Acclimate.Models;
using Xunit;

namespace Acclimate.Tests.Models;

/// <summary>The one seam per architecture: every model type has exactly one family, and the shared classes take their differences from it.</summary>
public class EncoderFamilyTests
{
    [Fact]
    public void EveryModelTypeHasOneFamilyFoundByItsConfigName()
    {
        foreach (var type in Enum.GetValues<ModelType>())
        {
            var family = EncoderFamily.For(type);
            Assert.Equal(type, family.Type);
            Assert.Same(family, EncoderFamily.Named(family.ModelTypeName));
            Assert.Single(EncoderFamily.All, f => f.Type == type);
        }
        Assert.Null(EncoderFamily.Named("distilbert"));
    }

    [Theory]
    [InlineData(ModelType.Bert, "BertForPreTraining", true, "NSP", 512)]
    [InlineData(ModelType.Albert, "AlbertForPreTraining", true, "SOP", 512)]
    [InlineData(ModelType.Electra, "ElectraForPreTraining", false, null, 512)]
    [InlineData(ModelType.Roberta, null, false, null, 510)]
    public void TheSharedModelsFollowTheirFamily(ModelType type, string? preTrainingName, bool pooler, string? sentenceObjective, int maxLength)
    {
        var config = EncoderConfig.Create(type, vocabSize: 40, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, embeddingSize: 8);
        Assert.Same(EncoderFamily.For(type), config.Family);
        Assert.Equal(sentenceObjective, config.Family.SentenceObjective);
        if (preTrainingName is null)
        {
            Assert.Throws<ConfigException>(() => ModelFactory.Create(config, ModelTask.PreTraining));
        }
        else
        {
            using var model = ModelFactory.Create(config, ModelTask.PreTraining);
            Assert.Equal(preTrainingName, model.ArchitectureName);
            Assert.Equal(pooler, model.Encoder.HasPooler);
            Assert.Equal(maxLength, model.Encoder.MaxSequenceLength);
        }
        using var classifier = ModelFactory.Create(config.WithLabels(new[] { "a", "b" }), ModelTask.SequenceClassification);
        Assert.Equal(config.Family.ClassifiesFromPooler, classifier.Encoder.HasPooler);
        Assert.Equal(maxLength, classifier.Encoder.MaxSequenceLength);
        Assert.StartsWith(type.ToString().ToLowerInvariant() + ".embeddings.", classifier.CheckpointState().Keys.First(k => k.Contains("word_embeddings")));
    }
}
