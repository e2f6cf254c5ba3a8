using Acclimate.Checkpoints;
using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.Models;

/// <summary>Training works, not just inference: a few gradient steps lower the loss of every head.</summary>
public sealed class TrainingStepTests
{
    public TrainingStepTests() => TorchRuntime.EnsureInitialized();

    [Theory]
    [MemberData(nameof(HfParityFixtures.All), MemberType = typeof(HfParityFixtures))]
    public void GradientStepsLowerTheLossOfFixtureHeads(string fixture)
    {
        var folder = TestPaths.Fixture("hf-parity", fixture);
        var (model, _) = PretrainedModel.Load(folder);
        using var _m = model;
        var batch = ModelInputsFile.Read(Path.Combine(folder, "inputs.json"))[0];
        AssertStepsLowerLoss(model, batch);
    }

    public static TheoryData<string, string> FreshHeads => new()
    {
        { "roberta", "token-classification" }, { "roberta", "sequence-classification" },
        { "albert", "token-classification" }, { "albert", "sequence-classification" }, { "albert", "mlm" },
        { "electra", "token-classification" }, { "electra", "sequence-classification" },
        { "bert", "mlm" },
    };

    [Theory]
    [MemberData(nameof(FreshHeads))]
    public void GradientStepsLowerTheLossOfFreshHeads(string type, string task)
    {
        manual_seed(11);
        var modelType = Enum.Parse<ModelType>(type, ignoreCase: true);
        var config = EncoderConfig.Create(modelType, vocabSize: 50, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 48,
            embeddingSize: modelType is ModelType.Albert or ModelType.Electra ? 16 : null, maxPositions: 32)
            .WithLabels(new[] { "A", "B", "C" });
        using var model = ModelFactory.Create(config, Cli.Commands.ModelCommand.ParseTask(task));
        using var ids = randint(3, 50, new long[] { 4, 10 }, dtype: ScalarType.Int64);
        using var mask = ones(4, 10, dtype: ScalarType.Int64);
        mask[3, TensorIndex.Slice(7)] = tensor(0L);
        Tensor labels = task switch
        {
            "sequence-classification" => tensor(new long[] { 0, 1, 2, 1 }),
            "mlm" => where(rand(4, 10).lt(0.3), ids, tensor(-100L)),
            _ => randint(0, 3, new long[] { 4, 10 }, dtype: ScalarType.Int64),
        };
        AssertStepsLowerLoss(model, new ModelInputs(ids, mask) { Labels = labels });
    }

    private static void AssertStepsLowerLoss(TransformerModel model, ModelInputs batch)
    {
        Assert.NotNull(batch.Labels);
        model.eval();   // dropout off, so the comparison measures the update alone
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        float Loss()
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            return model.Forward(batch).Loss!.item<float>();
        }
        var before = Loss();
        for (var step = 0; step < 5; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = model.Forward(batch).Loss!;
            loss.backward();
            optimizer.step();
        }
        var after = Loss();
        Assert.True(float.IsFinite(before) && float.IsFinite(after), $"loss not finite: {before} → {after}");
        Assert.True(after < before - 1e-3, $"{model.ArchitectureName}: loss did not go down: {before} → {after}");
    }
}
