using Acclimate.Checkpoints;
using Acclimate.Continual;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.Continual;

/// <summary>EWC: Fisher estimate, penalty value and gradient by hand, the Fisher file.</summary>
public sealed class EwcTests
{
    public EwcTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void FisherIsTheMeanSquaredBatchGradient()
    {
        using var module = L2SpPenaltyTests.TinyLinear();
        // Loss of batch x: Σ (W·x + b). ∂/∂W[i,j] = Σ_rows x[j], ∂/∂b[i] = rows.
        var batches = new[]
        {
            tensor(new float[] { 1, 2, 3 }, new long[] { 1, 3 }),
            tensor(new float[] { -1, 0, 1, 2, 2, 2 }, new long[] { 2, 3 }),
        };
        using var fisher = FisherEstimator.Estimate(module, batches, x => ((nn.Module<Tensor, Tensor>)module).forward(x).sum(), ParameterSelection.All);
        Assert.Equal(2, fisher.BatchCount);
        // Batch 1 grad W row = [1, 2, 3], batch 2 = [1, 2, 3] too; b: 1 then 2.
        // F_W = mean([1,4,9], [1,4,9]) = [1,4,9] per row; F_b = (1 + 4)/2 = 2.5.
        Assert.Equal(new[] { 1f, 4, 9, 1, 4, 9 }, fisher.Fisher("weight").data<float>().ToArray(), new FloatTolerance(1e-6f));
        Assert.Equal(new[] { 2.5f, 2.5f }, fisher.Fisher("bias").data<float>().ToArray(), new FloatTolerance(1e-6f));
        Assert.Equal(new[] { 1f, 2, 3, 4, 5, 6 }, fisher.Theta("weight").data<float>().ToArray());
        // Gradients are left zeroed and the mode restored.
        Assert.All(module.parameters(), p => Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0f));
        Assert.True(module.training);

        using var one = FisherEstimator.Estimate(module, batches, x => ((nn.Module<Tensor, Tensor>)module).forward(x).sum(), ParameterSelection.All, maxBatches: 1);
        Assert.Equal(1, one.BatchCount);
        Assert.Equal(new[] { 1f, 1 }, one.Fisher("bias").data<float>().ToArray());
    }

    private static FisherInformation HandFisher() => new(new Dictionary<string, (Tensor, Tensor)>
    {
        ["weight"] = (tensor(new float[] { 1, 0, 2, 0.5f, 0, 4 }, new long[] { 2, 3 }), tensor(new float[] { 0, 2, 3, 4, 5, 5 }, new long[] { 2, 3 })),
        ["bias"] = (tensor(new float[] { 3, 1 }), tensor(new float[] { 0.5f, 0.5f })),
    }, batchCount: 7);

    [Fact]
    public void PenaltyAndGradientEqualHandComputedValues()
    {
        using var module = L2SpPenaltyTests.TinyLinear();   // θ: W = [1 2 3; 4 5 6], b = [0.5, −0.5]
        using var fisher = HandFisher();
        using var penalty = new EwcPenalty(module, fisher, strength: 2.0);
        // θ − θ*: W = [1 0 0; 0 0 1], b = [0, −1]
        // Σ F·δ²: W = 1·1 + 4·1 = 5; b = 1·1 = 1 → 6; (λ/2)·6 = 6.
        using var value = penalty.Compute();
        Assert.Equal(6f, value.item<float>(), 1e-6f);
        value.backward();
        // ∂/∂θ = λ·F·δ = 2·F·δ
        var weight = module.named_parameters().Single(p => p.name == "weight").parameter;
        var bias = module.named_parameters().Single(p => p.name == "bias").parameter;
        Assert.Equal(new[] { 2f, 0, 0, 0, 0, 8 }, weight.grad!.data<float>().ToArray(), new FloatTolerance(1e-6f));
        Assert.Equal(new[] { 0f, -2 }, bias.grad!.data<float>().ToArray(), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void FisherFileRoundTripsAndIsCheckedOnLoad()
    {
        var folder = Path.Combine(Path.GetTempPath(), "acclimate-ewc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, "fisher.safetensors");
            using (var fisher = HandFisher())
            {
                fisher.Save(path);
                using var loaded = FisherInformation.Load(path);
                Assert.Equal(7, loaded.BatchCount);
                Assert.Equal(fisher.Names.OrderBy(n => n), loaded.Names.OrderBy(n => n));
                foreach (var name in fisher.Names)
                {
                    Assert.True(TensorAssert.BitEqual(fisher.Fisher(name), loaded.Fisher(name)));
                    Assert.True(TensorAssert.BitEqual(fisher.Theta(name), loaded.Theta(name)));
                }
            }

            // A plain safetensors file is not a Fisher file.
            var other = Path.Combine(folder, "other.safetensors");
            using (var t = ones(2))
                SafetensorsWriter.Write(other, new Dictionary<string, Tensor> { ["fisher.x"] = t });
            Assert.Contains("not a Fisher file", Assert.Throws<CheckpointException>(() => FisherInformation.Load(other)).Message);

            // A Fisher entry without its θ* is named.
            using (var t = ones(2))
                SafetensorsWriter.Write(other, new Dictionary<string, Tensor> { ["fisher.x"] = t },
                    new Dictionary<string, string> { ["format"] = FisherInformation.FormatName, ["batches"] = "1" });
            Assert.Contains("theta.x", Assert.Throws<CheckpointException>(() => FisherInformation.Load(other)).Message);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void FisherOfAnotherModelIsRejected()
    {
        using var module = L2SpPenaltyTests.TinyLinear();
        using var wrongName = new FisherInformation(new Dictionary<string, (Tensor, Tensor)> { ["bert.x"] = (ones(2), zeros(2)) }, 1);
        Assert.Contains("bert.x", Assert.Throws<CheckpointException>(() => new EwcPenalty(module, wrongName, 1.0)).Message);
        using var wrongShape = new FisherInformation(new Dictionary<string, (Tensor, Tensor)> { ["bias"] = (ones(3), zeros(3)) }, 1);
        Assert.Contains("[3]", Assert.Throws<CheckpointException>(() => new EwcPenalty(module, wrongShape, 1.0)).Message);
    }

    [Fact]
    public void FisherOfAnMlmModelDrivesAPenaltyThatStartsAtZero()
    {
        // End to end on a tiny BERT: estimate on two MLM batches, save, load, penalize.
        manual_seed(5);
        var config = EncoderConfig.Create(ModelType.Bert, 30, 8, 1, 2, 16, maxPositions: 16);
        using var model = ModelFactory.Create(config, ModelTask.MaskedLM);
        var batches = Enumerable.Range(0, 2).Select(i =>
        {
            var ids = randint(5, 30, new long[] { 2, 6 }, dtype: ScalarType.Int64);
            return new ModelInputs(ids) { Labels = where(rand(2, 6).lt(0.5), ids, tensor(-100L)) };
        }).ToList();
        using var fisher = FisherEstimator.Estimate(model, batches, b => model.Forward(b).Loss!, ParameterSelection.EncoderOnly(model));
        Assert.All(fisher.Names, n => Assert.StartsWith("bert.", n));
        Assert.Contains(fisher.Names, n => fisher.Fisher(n).sum().item<float>() > 0);
        using var penalty = new EwcPenalty(model, fisher, 100.0);
        using var atStart = penalty.Compute();
        Assert.Equal(0f, atStart.item<float>());
    }
}
