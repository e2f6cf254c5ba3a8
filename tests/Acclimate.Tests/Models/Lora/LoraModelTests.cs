using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Models.Lora;
using Acclimate.Runtime;
using Acclimate.Training;
using Acclimate.Tests.Training;
using static TorchSharp.torch;

namespace Acclimate.Tests.Models.Lora;

/// <summary>
/// LoRA on tiny models of every family: zero-initialized B leaves the model unchanged, merging is
/// W + (α/r)·B A and restores W exactly afterwards, only the chosen parameters train (frozen ones
/// stay bit-identical and get no optimizer state), and bad specs fail naming the key or tensor.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class LoraModelTests
{
    private static readonly string[] AllTargets = { "query", "key", "value", "attention_output", "intermediate", "output" };

    public LoraModelTests() => TorchRuntime.EnsureInitialized();

    internal static TransformerModel Tiny(ModelType type, ModelTask task = ModelTask.MaskedLM, int seed = 5)
    {
        manual_seed(seed);
        var config = EncoderConfig.Create(type, vocabSize: 50, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 24,
            embeddingSize: type is ModelType.Albert or ModelType.Electra ? 8 : null, maxPositions: 32).WithLabels(new[] { "A", "B", "C" });
        return ModelFactory.Create(config, task);
    }

    internal static ModelInputs Batch(int seed = 9)
    {
        manual_seed(seed);
        var ids = randint(3, 50, new long[] { 3, 8 }, dtype: ScalarType.Int64);
        var mask = ones(3, 8, dtype: ScalarType.Int64);
        mask[2, TensorIndex.Slice(5)] = tensor(0L);
        return new ModelInputs(ids, mask);
    }

    internal static Tensor Logits(TransformerModel model, ModelInputs inputs)
    {
        model.eval();
        using var _ = no_grad();
        return model.Forward(inputs).Logits.detach().clone();
    }

    [Theory]
    [InlineData(ModelType.Bert, 12)]
    [InlineData(ModelType.Roberta, 12)]
    [InlineData(ModelType.Electra, 12)]
    [InlineData(ModelType.Albert, 6)]   // one shared layer: one adapter per shared Linear
    public void ZeroInitializedAdaptersLeaveTheOutputBitIdentical(ModelType type, int expectedTargets)
    {
        using var model = Tiny(type);
        var inputs = Batch();
        using var before = Logits(model, inputs);
        var lora = LoraModel.Apply(model, new LoraSpec(4, 8, 0.1, AllTargets));
        Assert.Equal(expectedTargets, lora.TargetKeys.Count);
        Assert.All(lora.Targets, t => Assert.Equal(0, t.B.abs().sum().item<float>()));
        Assert.All(lora.Targets, t => Assert.True(t.A.abs().sum().item<float>() > 0, $"{t.Key}: A is all zeros"));
        using var after = Logits(model, inputs);
        Assert.True(TensorAssert.BitEqual(before, after), "a zero-initialized LoRA changed the output");
        // Nothing of the adapters leaks into the HF checkpoint keys.
        Assert.DoesNotContain(model.CheckpointState().Keys, k => k.Contains("lora_", StringComparison.Ordinal));
    }

    [Fact]
    public void TargetNamesMapToEachFamilysModulePaths()
    {
        using var bert = Tiny(ModelType.Bert);
        var keys = LoraModel.Apply(bert, new LoraSpec(2, 4, 0, new[] { "attention_output", "output" })).TargetKeys;
        Assert.Equal(new[]
        {
            "bert.encoder.layer.0.attention.output.dense", "bert.encoder.layer.0.output.dense",
            "bert.encoder.layer.1.attention.output.dense", "bert.encoder.layer.1.output.dense",
        }, keys);
        using var albert = Tiny(ModelType.Albert);
        var albertKeys = LoraModel.Apply(albert, new LoraSpec(2, 4, 0, new[] { "attention_output", "intermediate", "output" })).TargetKeys;
        Assert.Equal(new[]
        {
            "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.dense",
            "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn",
            "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn_output",
        }, albertKeys);
    }

    [Fact]
    public void MergingAddsScaledBTimesAAndRestoresTheBaseWeightsBitForBit()
    {
        using var model = Tiny(ModelType.Bert);
        var lora = LoraModel.Apply(model, new LoraSpec(3, 6, 0, new[] { "query", "intermediate" }));
        RandomizeB(lora, 21);
        var target = lora.Targets[0];
        using var w0 = target.Layer.weight!.detach().clone();
        using (lora.MergedScope())
        {
            // Computed independently, in float64.
            using var expected = w0.to_type(ScalarType.Float64) + (6.0 / 3) * target.B.detach().to_type(ScalarType.Float64).matmul(target.A.detach().to_type(ScalarType.Float64));
            var error = (target.Layer.weight!.detach().to_type(ScalarType.Float64) - expected).abs().max().item<double>();
            Assert.True(error < 1e-6, $"merged weight differs from W + (alpha/r)·B·A by {error}");
            Assert.False(TensorAssert.BitEqual(w0, target.Layer.weight!), "the merge did not change the weight");
        }
        Assert.True(TensorAssert.BitEqual(w0, target.Layer.weight!), "the base weight was not restored exactly after the merge");
    }

    [Fact]
    public void OnlyAdaptersAndChosenParametersTrainAndTheOptimizerHoldsStateForThemAlone()
    {
        using var model = Tiny(ModelType.Bert);
        var lora = LoraModel.Apply(model, new LoraSpec(2, 4, 0.1, new[] { "query", "value" }) { TrainBiases = LoraBias.LoraOnly, TrainHead = false });
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone(), StringComparer.Ordinal);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToHashSet(StringComparer.Ordinal);
        Assert.All(trainable, n => Assert.True(LoraModel.IsAdapterKey(n) || n.EndsWith("query.bias", StringComparison.Ordinal) || n.EndsWith("value.bias", StringComparison.Ordinal), $"{n} trains"));
        Assert.Equal(2 * 2 * 2 + 2 * 2, trainable.Count);   // A and B on 4 layers, and their 4 biases

        using var optimizer = AdamWOptimizer.Create(model, new AdamWSettings(1e-2, 0.01));
        Assert.Equal(trainable.OrderBy(n => n, StringComparer.Ordinal), optimizer.Parameters.Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(trainable.Count, optimizer.State().Count);
        model.train();
        var inputs = Batch() with { };
        using var labels = where(rand(3, 8).lt(0.5), inputs.InputIds, tensor(-100L));
        for (var step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            var loss = model.Forward(inputs with { Labels = labels }).Loss!;
            loss.backward();
            Assert.All(model.named_parameters().Where(p => !trainable.Contains(p.name)), p => Assert.Null(p.parameter.grad));
            optimizer.ClipGradNormOnDevice(1.0);
            optimizer.Step();
        }
        foreach (var (name, parameter) in model.named_parameters())
        {
            var same = TensorAssert.BitEqual(before[name], parameter);
            if (trainable.Contains(name) && !name.EndsWith("lora_A.weight", StringComparison.Ordinal))
                Assert.False(same, $"{name} should have trained");
            else if (!trainable.Contains(name))
                Assert.True(same, $"{name} is frozen but changed");
        }
        foreach (var t in before.Values) t.Dispose();
    }

    [Fact]
    public void HeadsLayerNormAndAllBiasesTrainWhenAsked()
    {
        using var model = Tiny(ModelType.Bert, ModelTask.TokenClassification);
        LoraModel.Apply(model, new LoraSpec(2, 4, 0, new[] { "query" }) { TrainBiases = LoraBias.All, TrainLayerNorm = true, TrainHead = true });
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.Contains("classifier.weight", trainable);
        Assert.Contains("bert.encoder.layer.0.attention.output.LayerNorm.weight", trainable);
        Assert.Contains("bert.encoder.layer.1.intermediate.dense.bias", trainable);
        Assert.DoesNotContain("bert.encoder.layer.1.intermediate.dense.weight", trainable);
        Assert.DoesNotContain("bert.embeddings.word_embeddings.weight", trainable);

        // An MLM head that trains leaves the word embeddings its decoder is tied to frozen.
        using var mlm = Tiny(ModelType.Bert, ModelTask.MaskedLM);
        LoraModel.Apply(mlm, new LoraSpec(2, 4, 0, new[] { "query" }) { TrainHead = true });
        var mlmTrainable = mlm.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.Contains("cls.predictions.transform.dense.weight", mlmTrainable);
        Assert.False(((MaskedLmModel)mlm).Encoder.Embeddings.WordEmbeddingWeight.requires_grad, "the tied word embeddings were unfrozen");
    }

    [Theory]
    [InlineData(0, 8.0, "rank must be >= 1 (got 0)")]
    [InlineData(-2, 8.0, "rank must be >= 1 (got -2)")]
    [InlineData(4, 0.0, "alpha must be a finite number > 0 (got 0)")]
    [InlineData(4, -1.0, "alpha must be a finite number > 0 (got -1)")]
    [InlineData(17, 8.0, "lora.rank 17 exceeds min(in, out) = 16 of 'bert.encoder.layer.0.attention.self.query' (weight [16, 16])")]
    public void BadRankOrAlphaFailsNamingTheKeyAndLeavesTheModelAlone(int rank, double alpha, string message)
    {
        using var model = Tiny(ModelType.Bert);
        var error = Assert.Throws<ConfigException>(() => LoraModel.Apply(model, new LoraSpec(rank, alpha, 0, new[] { "query" })));
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain(model.named_parameters(), p => LoraModel.IsAdapterKey(p.name));
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void UnknownTargetModuleFailsListingTheArchitecturesTargets()
    {
        using var model = Tiny(ModelType.Albert);
        var error = Assert.Throws<ConfigException>(() => LoraModel.Apply(model, new LoraSpec(2, 4, 0, new[] { "query", "ffn" })));
        Assert.Contains("'ffn' is not a LoRA target", error.Message);
        Assert.Contains("query, key, value, attention_output, intermediate, output", error.Message);
        var twice = LoraModel.Apply(model, new LoraSpec(2, 4, 0, new[] { "query" }));
        Assert.Single(twice.TargetKeys);
        Assert.Contains("already carries LoRA adapters", Assert.Throws<ConfigException>(() => LoraModel.Apply(model, new LoraSpec(2, 4, 0, new[] { "key" }))).Message);
    }

    /// <summary>Gives every B random values (as training would), so merges are not trivial.</summary>
    internal static void RandomizeB(LoraModel lora, int seed)
    {
        manual_seed(seed);
        using var _ = no_grad();
        foreach (var t in lora.Targets)
        {
            using var values = randn(t.B.shape) * 0.1;
            t.B.copy_(values);
        }
    }
}
