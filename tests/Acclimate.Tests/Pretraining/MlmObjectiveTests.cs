using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Pretraining;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Tests.Pretraining;

/// <summary>The masked-position MLM loss equals HF's full-logits loss (and its gradient), with and without a sentence head.</summary>
public sealed class MlmObjectiveTests
{
    private const int Vocab = 40;

    public MlmObjectiveTests() => TorchRuntime.EnsureInitialized();

    internal static EncoderConfig TinyConfig(ModelType type) =>
        EncoderConfig.Create(type, vocabSize: Vocab, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 32,
            embeddingSize: type is ModelType.Albert or ModelType.Electra ? 8 : null, maxPositions: 32);

    private static SpecialTokenIds SpecialsFor(EncoderConfig config) =>
        config.ModelType == ModelType.Roberta ? new SpecialTokenIds(pad: 1, mask: 4, cls: 0, sep: 2) : new SpecialTokenIds(pad: 0, mask: 4, cls: 1, sep: 2);

    internal static MlmBatch Batch(SpecialTokenIds specials, int seed, bool pairs)
    {
        var data = new Random(seed);
        var examples = new List<MlmExample>();
        for (var b = 0; b < 4; b++)
        {
            var length = 6 + b * 3;
            var ids = new int[length];
            var types = new int[length];
            ids[0] = specials.Cls;
            for (var i = 1; i < length; i++) ids[i] = data.Next(5, Vocab);
            ids[length / 2] = specials.Sep;
            ids[^1] = specials.Sep;
            for (var i = length / 2 + 1; i < length; i++) types[i] = 1;
            examples.Add(new MlmExample(ids) { TokenTypeIds = pairs ? types : null, SentenceLabel = pairs ? b % 2 : null });
        }
        var collator = new MlmCollator(new MlmMaskingOptions { MaskProbability = 0.3 }, specials, Vocab);
        return collator.Collate(examples, new Random(seed + 1));
    }

    [Theory]
    [InlineData(ModelType.Bert)]
    [InlineData(ModelType.Roberta)]
    [InlineData(ModelType.Albert)]
    [InlineData(ModelType.Electra)]
    public void MaskedPositionLossEqualsFullLogitsLossAndGradient(ModelType type)
    {
        manual_seed(3);
        var config = TinyConfig(type);
        using var model = (MaskedLmModel)ModelFactory.Create(config, ModelTask.MaskedLM);
        model.eval();   // dropout off: both paths must see the same network
        using var batch = Batch(SpecialsFor(config), 10, pairs: false);
        Assert.True(batch.MaskedCount > 0);
        var objective = new MlmObjective(model);

        using var scope = NewDisposeScope();
        var loss = objective.Compute(batch);
        loss.Total.backward();
        var gradients = model.named_parameters().Where(p => p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        model.zero_grad();

        var reference = model.Forward(batch.ToModelInputs()).Loss!;
        reference.backward();
        Assert.Equal(reference.item<float>(), loss.Total.item<float>(), 1e-5f);
        Assert.Equal(new[] { "mlm" }, loss.Parts.Keys);
        Assert.Equal(batch.MaskedCount, loss.MaskedTokens);
        Assert.NotEmpty(gradients);
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.grad is null) { Assert.False(gradients.ContainsKey(name)); continue; }
            using var diff = (p.grad - gradients[name]).abs().max();
            Assert.True(diff.item<float>() < 1e-5f, $"{type}: gradient of {name} differs by {diff.item<float>()}");
        }
    }

    [Theory]
    [InlineData(ModelType.Bert, "nsp")]
    [InlineData(ModelType.Albert, "sop")]
    public void SentenceHeadLossIsAddedAsHf(ModelType type, string part)
    {
        manual_seed(4);
        var config = TinyConfig(type);
        using var model = (MaskedLmModel)ModelFactory.Create(config, ModelTask.PreTraining);
        model.eval();
        using var batch = Batch(SpecialsFor(config), 20, pairs: true);
        var objective = new MlmObjective(model);
        Assert.True(objective.HasSentenceHead);
        using var scope = NewDisposeScope();
        var loss = objective.Compute(batch);
        var reference = model.Forward(batch.ToModelInputs()).Loss!;
        Assert.Equal(reference.item<float>(), loss.Total.item<float>(), 1e-5f);
        Assert.Equal(loss.Parts["mlm"].item<float>() + loss.Parts[part].item<float>(), loss.Total.item<float>(), 1e-6f);
    }

    [Fact]
    public void SentenceLabelsWithoutASentenceHeadAreAnError()
    {
        var config = TinyConfig(ModelType.Bert);
        using var model = (MaskedLmModel)ModelFactory.Create(config, ModelTask.MaskedLM);
        using var batch = Batch(SpecialsFor(config), 30, pairs: true);
        Assert.False(new MlmObjective(model).HasSentenceHead);
        using var scope = NewDisposeScope();
        Assert.Throws<ConfigException>(() => new MlmObjective(model).Compute(batch));
    }

    [Fact]
    public void BatchWithoutMaskedPositionsGivesZeroLossThatBackpropagates()
    {
        var config = TinyConfig(ModelType.Bert);
        using var model = (MaskedLmModel)ModelFactory.Create(config, ModelTask.MaskedLM);
        var specials = SpecialsFor(config);
        var collator = new MlmCollator(new MlmMaskingOptions(), specials, Vocab);
        using var batch = collator.Collate(new[] { new MlmExample(new[] { specials.Cls, specials.Sep }) }, new Random(0));
        Assert.Equal(0, batch.MaskedCount);
        using var scope = NewDisposeScope();
        var loss = new MlmObjective(model).Compute(batch);
        Assert.Equal(0f, loss.Total.item<float>());
        loss.Total.backward();   // must not throw: the training loop backpropagates every step
    }
}
