using Acclimate.FineTuning;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tests.FineTuning;
using Acclimate.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.Runtime;

/// <summary>
/// A device move (<c>module.to(cuda)</c>) registers new Parameter and buffer objects and disposes
/// the old ones; any code that kept a reference to the old ones then reads freed tensors. No GPU
/// exists here, but a dtype move goes through the same replacement path in TorchSharp, so these
/// tests move to float64 and back and check the models still compute the same outputs.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class ModuleMoveTests
{
    public ModuleMoveTests() => TorchRuntime.EnsureInitialized();

    private static ModelInputs Batch()
    {
        var ids = tensor(new long[] { 1, 7, 4, 9, 12, 2, 1, 8, 4, 4, 30, 2 }).reshape(2, 6);
        var labels = tensor(new long[] { -100, -100, 11, -100, -100, -100, -100, -100, 13, 14, -100, -100 }).reshape(2, 6);
        return new ModelInputs(ids, ones(2, 6, dtype: ScalarType.Int64)) { Labels = labels };
    }

    [Theory]
    [InlineData(ModelType.Bert, true)]
    [InlineData(ModelType.Bert, false)]     // untied: a `decoder` submodule holds the weight
    [InlineData(ModelType.Electra, false)]  // untied ELECTRA generator head: the head's own `weight`
    public void AMaskedLmStillComputesTheSameLossAfterAMove(ModelType type, bool tied)
    {
        manual_seed(5);
        var config = EncoderConfig.Create(type, vocabSize: 40, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 24,
            embeddingSize: type == ModelType.Electra ? 8 : null, maxPositions: 16, extra: o => o["tie_word_embeddings"] = tied);
        using var model = ModelFactory.Create(config, ModelTask.MaskedLM);
        model.eval();
        using var _ = no_grad();
        var batch = Batch();
        var before = model.Forward(batch).Loss!.item<float>();

        model.to(ScalarType.Float64);
        var moved = model.Forward(batch);
        Assert.Equal(ScalarType.Float64, moved.Loss!.dtype);
        Assert.Equal(before, moved.Loss.item<double>(), 4);

        model.to(ScalarType.Float32);
        Assert.Equal(before, model.Forward(batch).Loss!.item<float>(), 5);
    }

    [Fact]
    public void AConstrainedCrfTaggerStillComputesTheSameLossAfterAMove()
    {
        using var labeler = TinyLabelers.Create(TokenHeadKind.Linear, crf: true, constrained: true);
        using var _ = no_grad();
        var ids = tensor(new long[] { 1, 7, 9, 12, 2, 1, 8, 30, 2, 0 }).reshape(2, 5);
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 }).reshape(2, 5);
        var labels = tensor(new long[] { -100, 1, 2, 0, -100, -100, 3, 4, -100, -100 }).reshape(2, 5);
        var inputs = new ModelInputs(ids, mask) { Labels = labels };
        var before = labeler.Forward(inputs).Loss!.item<float>();

        labeler.to(ScalarType.Float64);
        var loss = labeler.Forward(inputs).Loss!;
        Assert.Equal(ScalarType.Float64, loss.dtype);
        Assert.Equal(before, loss.item<double>(), 4);
    }
}
