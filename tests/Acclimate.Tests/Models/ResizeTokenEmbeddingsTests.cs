using Acclimate.Checkpoints;
using Acclimate.Models;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Tests.Models;

/// <summary>Vocabulary growth keeps every old id's behaviour and gives the new ids the rows asked for.</summary>
public sealed class ResizeTokenEmbeddingsTests
{
    public ResizeTokenEmbeddingsTests() => TorchRuntime.EnsureInitialized();

    [Theory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("albert")]
    [InlineData("electra-generator")]
    public void OldLogitsUnchangedNewRowsAsGivenAndSavable(string fixture)
    {
        var (model, _) = PretrainedModel.Load(TestPaths.Fixture("hf-parity", fixture), ModelTask.MaskedLM);
        using var _m = model;
        model.eval();
        var mlm = Assert.IsType<MaskedLmModel>(model);
        var oldSize = model.Config.VocabSize;
        var width = model.Encoder.Embeddings.WordEmbeddingWeight.shape[1];
        using var ids = tensor(new long[] { 5, 9, 17, 3, 8 }, new long[] { 1, 5 });
        using var before = model.Forward(new ModelInputs(ids)).Logits.clone();

        using var rows = arange(3 * width, dtype: ScalarType.Float32).reshape(3, width) / 100f;
        model.ResizeTokenEmbeddings(oldSize + 3, rows);
        Assert.Equal(oldSize + 3, model.Config.VocabSize);
        using var after = model.Forward(new ModelInputs(ids)).Logits;
        Assert.Equal(oldSize + 3, after.shape[2]);
        using var oldColumns = after.narrow(2, 0, oldSize);
        using var diff = (oldColumns - before).abs().max();
        Assert.True(diff.item<float>() < 1e-6, $"old logits moved by {diff.item<float>()}");
        Assert.True(TensorAssert.BitEqual(model.Encoder.Embeddings.WordEmbeddingWeight.narrow(0, oldSize, 3), rows));

        // The new ids are usable as inputs, and the grown model saves and loads back exactly.
        using var newIds = tensor(new long[] { oldSize, oldSize + 2 }, new long[] { 1, 2 });
        model.Forward(new ModelInputs(newIds));
        using var temp = TestPaths.NewTempFolder();
        PretrainedModel.Save(model, temp.Path);
        var (reloaded, report) = PretrainedModel.Load(temp.Path, ModelTask.MaskedLM);
        using var _r = reloaded;
        Assert.True(report.IsExactMatch, report.Describe());
        Assert.Equal(oldSize + 3, reloaded.Config.VocabSize);
        reloaded.eval();
        using var again = reloaded.Forward(new ModelInputs(ids)).Logits;
        Assert.True(TensorAssert.BitEqual(after, again));
        Assert.Equal(mlm.parameters().Count(), mlm.named_parameters().Select(p => p.name).Distinct().Count());
    }

    [Fact]
    public void UntiedDecoderGrowsWithTheVocabulary()
    {
        manual_seed(2);
        var config = EncoderConfig.Create(ModelType.Bert, 30, 16, 1, 2, 32, maxPositions: 16, extra: c => c["tie_word_embeddings"] = false);
        using var model = ModelFactory.Create(config, ModelTask.MaskedLM);
        Assert.Contains("cls.predictions.decoder.weight", model.CheckpointState().Keys);
        model.ResizeTokenEmbeddings(34);
        Assert.Equal(new long[] { 34, 16 }, model.CheckpointState()["cls.predictions.decoder.weight"].shape);
        Assert.Equal(new long[] { 34 }, model.CheckpointState()["cls.predictions.bias"].shape);
        using var ids = tensor(new long[] { 1, 33 }, new long[] { 1, 2 });
        Assert.Equal(34, model.Forward(new ModelInputs(ids)).Logits.shape[2]);
    }
}

/// <summary>Resizing inside the caller's dispose scope must not leave the model holding freed tensors.</summary>
public sealed class ResizeInsideDisposeScopeTests
{
    public ResizeInsideDisposeScopeTests() => TorchRuntime.EnsureInitialized();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ParametersSurviveTheScope(bool tied)
    {
        manual_seed(3);
        var config = EncoderConfig.Create(ModelType.Bert, 30, 16, 1, 2, 32, maxPositions: 16, extra: c => c["tie_word_embeddings"] = tied);
        using var model = ModelFactory.Create(config, ModelTask.MaskedLM);
        model.eval();
        using (var scope = NewDisposeScope())
        {
            var rows = ones(4, 16) * 0.5f;
            model.ResizeTokenEmbeddings(34, rows);
            model.ResizeTokenEmbeddings(36);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        foreach (var (name, p) in model.named_parameters())
            Assert.False(p.IsInvalid, $"{name} was freed with the caller's scope");
        var weight = model.Encoder.Embeddings.WordEmbeddingWeight;
        Assert.Equal(new long[] { 36, 16 }, weight.shape);
        using var row = weight[31];
        Assert.Equal(0.5f, row[0].item<float>());
        using var ids = tensor(new long[] { 1, 33, 35 }, new long[] { 1, 3 });
        using var logits = model.Forward(new ModelInputs(ids)).Logits;
        Assert.Equal(36, logits.shape[2]);
        Assert.Equal(36, model.CheckpointState()["cls.predictions.bias"].shape[0]);
        Assert.Equal(model.parameters().Count(), model.named_parameters().Select(p => p.name).Distinct().Count());
    }
}
