using Acclimate.Errors;
using Acclimate.Runtime;
using Acclimate.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Acclimate.Tests.Training;

public sealed class AdamWOptimizerTests
{
    private readonly ITestOutputHelper _output;

    public AdamWOptimizerTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureInitialized();
    }

    [Theory]
    [InlineData("bert.encoder.layer.0.attention.self.query.bias", true)]
    [InlineData("bert.encoder.layer.0.attention.output.LayerNorm.weight", true)]
    [InlineData("bert.embeddings.LayerNorm.bias", true)]
    [InlineData("lm_head.layer_norm.weight", true)]
    [InlineData("albert.encoder.albert_layer_groups.0.albert_layers.0.full_layer_layer_norm.weight", true)]
    [InlineData("cls.predictions.bias", true)]
    [InlineData("bert.encoder.layer.0.attention.self.query.weight", false)]
    [InlineData("bert.embeddings.word_embeddings.weight", false)]
    [InlineData("classifier.weight", false)]
    [InlineData("crf.transitions", false)]
    public void HfNoDecayRuleByName(string name, bool exempt) => Assert.Equal(exempt, WeightDecayRule.IsExempt(name));

    [Fact]
    public void GroupsSplitDecayFromNoDecayAndKeepCallerRates()
    {
        using var model = TinyModels.MaskedLm(1);
        using var optimizer = AdamWOptimizer.Create(model, new AdamWSettings(1e-3, WeightDecay: 0.05),
            name => name.StartsWith("cls.", StringComparison.Ordinal) ? new ParameterGroupChoice("head", 5e-3) : new ParameterGroupChoice("encoder", 1e-3));

        Assert.Equal(new[] { "encoder", "encoder/no_decay", "head/no_decay", "head" }.OrderBy(n => n), optimizer.Groups.Select(g => g.Name).OrderBy(n => n));
        foreach (var group in optimizer.Groups)
        {
            Assert.Equal(group.Name.StartsWith("head", StringComparison.Ordinal) ? 5e-3 : 1e-3, group.BaseLearningRate);
            Assert.Equal(group.Name.EndsWith("/no_decay", StringComparison.Ordinal) ? 0.0 : 0.05, group.WeightDecay);
            Assert.All(group.ParameterNames, n => Assert.Equal(group.Name.EndsWith("/no_decay", StringComparison.Ordinal), WeightDecayRule.IsExempt(n)));
        }
        // Every trainable parameter exactly once (the tied decoder weight is the embedding matrix, not a second tensor).
        var names = optimizer.Groups.SelectMany(g => g.ParameterNames).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(model.parameters().Count(), names.Count);

        optimizer.SetLearningRateMultiplier(0.5);
        var rates = optimizer.CurrentLearningRates();
        Assert.Equal(2.5e-3, rates["head"], 15);
        Assert.Equal(5e-4, rates["encoder/no_decay"], 15);
    }

    [Fact]
    public void OneGroupCannotHaveTwoRates()
    {
        using var model = TinyModels.MaskedLm(1);
        var e = Assert.Throws<ConfigException>(() => AdamWOptimizer.Create(model, new AdamWSettings(1e-3),
            name => new ParameterGroupChoice("all", name.Contains("layer.1", StringComparison.Ordinal) ? 2e-3 : 1e-3)));
        Assert.Contains("two learning rates", e.Message);
    }

    [Fact]
    public void FrozenParametersAreLeftOut()
    {
        using var model = TinyModels.MaskedLm(1);
        foreach (var (name, p) in model.named_parameters())
            if (name.Contains(".embeddings.", StringComparison.Ordinal)) p.requires_grad = false;
        using var optimizer = AdamWOptimizer.Create(model, new AdamWSettings(1e-3));
        Assert.DoesNotContain(optimizer.Parameters, p => p.Name.Contains(".embeddings.", StringComparison.Ordinal));
        Assert.NotEmpty(optimizer.Parameters);
    }

    [Theory]
    [InlineData("bert.embeddings.word_embeddings.weight", 0)]
    [InlineData("bert.embeddings.LayerNorm.bias", 0)]
    [InlineData("bert.encoder.layer.0.attention.self.query.weight", 1)]
    [InlineData("bert.encoder.layer.11.output.dense.weight", 12)]
    [InlineData("albert.encoder.embedding_hidden_mapping_in.weight", 0)]
    [InlineData("albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight", 12)]
    [InlineData("bert.pooler.dense.weight", 13)]
    [InlineData("classifier.weight", 13)]
    [InlineData("crf.transitions", 13)]
    public void LayerDepthFromHfNames(string name, int depth) => Assert.Equal(depth, LayerwiseLearningRate.Depth(name, 12));

    [Fact]
    public void LayerwiseRatesDecayDownTheStack()
    {
        var groups = LayerwiseLearningRate.Groups(1e-4, 0.5, numLayers: 2, headLearningRate: 1e-3);
        Assert.Equal(new ParameterGroupChoice("head", 1e-3), groups("classifier.weight"));
        Assert.Equal(new ParameterGroupChoice("layer_1", 5e-5), groups("bert.encoder.layer.1.output.dense.weight"));
        Assert.Equal(new ParameterGroupChoice("layer_0", 2.5e-5), groups("bert.encoder.layer.0.output.dense.weight"));
        Assert.Equal(new ParameterGroupChoice("embeddings", 1.25e-5), groups("bert.embeddings.word_embeddings.weight"));
        Assert.Throws<ConfigException>(() => groups("bert.encoder.layer.2.output.dense.weight"));
    }

    /// <summary>
    /// TorchSharp's AdamW, set up by AdamWOptimizer with two groups and a no-decay split, against
    /// AdamW written out in float64 from the paper/PyTorch docs (decoupled decay p ← p(1 − lr·wd),
    /// bias-corrected moments, denominator sqrt(v)/sqrt(1 − β2^t) + ε).
    /// </summary>
    [Fact]
    public void MatchesAdamWWrittenOutInDoublePrecision()
    {
        manual_seed(3);
        var weight = new Parameter(randn(4, 3));
        var bias = new Parameter(randn(4));
        var norm = new Parameter(randn(3));
        var named = new (string, Parameter)[] { ("dense.weight", weight), ("dense.bias", bias), ("LayerNorm.weight", norm) };
        var settings = new AdamWSettings(0.01, WeightDecay: 0.1, Beta1: 0.8, Beta2: 0.95, Epsilon: 1e-6);
        using var optimizer = AdamWOptimizer.Create(named, settings,
            n => n.StartsWith("LayerNorm", StringComparison.Ordinal) ? new ParameterGroupChoice("norm", 0.03) : new ParameterGroupChoice("dense", 0.01));

        var reference = named.ToDictionary(n => n.Item1, n => new ReferenceAdamW(n.Item2.data<float>().ToArray()));
        var rates = new Dictionary<string, double> { ["dense.weight"] = 0.01, ["dense.bias"] = 0.01, ["LayerNorm.weight"] = 0.03 };
        var decays = new Dictionary<string, double> { ["dense.weight"] = 0.1, ["dense.bias"] = 0, ["LayerNorm.weight"] = 0 };
        var multipliers = new[] { 1.0, 0.5, 0.25, 1.0, 0.75 };
        var gradRandom = new Random(5);
        foreach (var multiplier in multipliers)
        {
            optimizer.ZeroGrad();
            optimizer.SetLearningRateMultiplier(multiplier);
            foreach (var (name, p) in named)
            {
                var g = Enumerable.Range(0, (int)p.numel()).Select(_ => (float)(gradRandom.NextDouble() * 2 - 1)).ToArray();
                p.grad = tensor(g).reshape(p.shape);
                reference[name].Step(g, rates[name] * multiplier, decays[name], settings);
            }
            optimizer.Step();
        }
        var worst = 0.0;
        foreach (var (name, p) in named)
        {
            var actual = p.data<float>().ToArray();
            var expected = reference[name].Values;
            for (var i = 0; i < actual.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-6, $"{name}[{i}]: torch {actual[i]:R}, reference {expected[i]:R}");
            }
        }
        // float32 arithmetic against float64: a few ulps of values around 1 (measured 1.1e-7).
        _output.WriteLine($"largest difference from the float64 reference after {multipliers.Length} steps: {worst:E2}");
        Assert.All(optimizer.State().Values, s => Assert.Equal(multipliers.Length, s.Step));
    }

    /// <summary>
    /// The allocation-free step must be the same arithmetic as TorchSharp's <c>AdamW.step</c>, to the
    /// bit: same groups, rates, decay and a schedule multiplier, over several steps, with one
    /// parameter that gets no gradient in some steps.
    /// </summary>
    [Fact]
    public void StepIsBitForBitTorchSharpsAdamW()
    {
        manual_seed(11);
        Parameter[] Fresh() { manual_seed(12); return new[] { new Parameter(randn(64, 32)), new Parameter(randn(32)), new Parameter(randn(7, 5)) }; }
        var ours = Fresh();
        var theirs = Fresh();
        var names = new[] { "dense.weight", "dense.bias", "head.weight" };
        var settings = new AdamWSettings(3e-3, WeightDecay: 0.05, Beta1: 0.85, Beta2: 0.97, Epsilon: 1e-7);
        ParameterGroupChoice GroupOf(string n) => n.StartsWith("head", StringComparison.Ordinal) ? new ParameterGroupChoice("head", 1e-2) : new ParameterGroupChoice("encoder", 3e-3);
        using var optimizer = AdamWOptimizer.Create(names.Zip(ours), settings, GroupOf);
        // TorchSharp's optimizer over the same groups in the same order, as Create builds them.
        var groups = optimizer.Groups.Select(g => new AdamW.ParamGroup(
            g.ParameterNames.Select(n => theirs[Array.IndexOf(names, n)]).ToArray(), g.BaseLearningRate, settings.Beta1, settings.Beta2, settings.Epsilon, g.WeightDecay)).ToList();
        using var reference = new AdamW(groups, settings.LearningRate, settings.Beta1, settings.Beta2, settings.Epsilon, settings.WeightDecay);
        var multipliers = new[] { 0.2, 1.0, 0.7, 0.7, 0.1, 0.0 };
        for (var step = 0; step < multipliers.Length; step++)
        {
            optimizer.ZeroGrad();
            reference.zero_grad();
            optimizer.SetLearningRateMultiplier(multipliers[step]);
            var referenceGroups = reference.ParamGroups.ToList();
            for (var g = 0; g < optimizer.Groups.Count; g++) referenceGroups[g].LearningRate = optimizer.Groups[g].BaseLearningRate * multipliers[step];
            for (var i = 0; i < names.Length; i++)
            {
                if (i == 2 && step % 2 == 1) { theirs[i].grad = null; continue; }   // no gradient: skipped by both
                using var g = randn(ours[i].shape);
                ours[i].grad = g.clone();
                theirs[i].grad = g.clone();
            }
            optimizer.Step();
            reference.step();
        }
        for (var i = 0; i < names.Length; i++)
            Assert.True(TensorAssert.BitEqual(theirs[i], ours[i]), $"{names[i]} differs from TorchSharp's AdamW");
        Assert.Equal(3, optimizer.State()["head.weight"].Step);
        Assert.Equal(multipliers.Length, optimizer.State()["dense.weight"].Step);
    }

    [Fact]
    public void ParametersWithoutGradientAreNotUpdatedOrDecayed()
    {
        var used = new Parameter(ones(2));
        var unused = new Parameter(ones(2));
        using var optimizer = AdamWOptimizer.Create(new[] { ("a.weight", used), ("b.weight", unused) }, new AdamWSettings(0.1, WeightDecay: 0.5));
        optimizer.ZeroGrad();
        used.grad = ones(2);
        optimizer.Step();
        optimizer.ZeroGrad();
        Assert.Null(unused.grad);
        Assert.Equal(new[] { 1f, 1f }, unused.data<float>().ToArray());
        Assert.Equal(0, optimizer.State()["b.weight"].Step);
        Assert.Equal(1, optimizer.State()["a.weight"].Step);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1000.0)]   // above the norm: the factor clamps at 1 and nothing changes
    public void ClipOnDeviceGivesTorchSharpsGradientsBitForBit(double maxNorm)
    {
        manual_seed(4);
        using var a = nn.Linear(7, 5);
        using var b = nn.Linear(7, 5);
        b.load_state_dict(a.state_dict());
        using var input = randn(3, 7);
        foreach (var m in new[] { a, b }) m.forward(input).pow(2).sum().backward();
        using var optA = AdamWOptimizer.Create(a, new AdamWSettings(1e-3));
        using var optB = AdamWOptimizer.Create(b, new AdamWSettings(1e-3));
        var expectedNorm = optA.ClipGradNorm(maxNorm);
        using var norm = optB.ClipGradNormOnDevice(maxNorm);
        Assert.Equal(0, norm.dim());
        Assert.Equal(expectedNorm, norm.to_type(ScalarType.Float64).item<double>());
        foreach (var name in new[] { "weight", "bias" })
            Assert.Equal(a.get_parameter(name)!.grad!.data<float>().ToArray(), b.get_parameter(name)!.grad!.data<float>().ToArray());
    }

    [Fact]
    public void ClipGradNormScalesToTheLimitAndReportsTheNormBefore()
    {
        var a = new Parameter(zeros(2));
        var b = new Parameter(zeros(1));
        using var optimizer = AdamWOptimizer.Create(new[] { ("a", a), ("b", b) }, new AdamWSettings(0.1));
        a.grad = tensor(new[] { 3f, 0f });
        b.grad = tensor(new[] { 4f });
        Assert.Equal(5.0, optimizer.GradNorm(), 6);
        Assert.Equal(5.0, optimizer.ClipGradNorm(1.0), 5);
        Assert.Equal(1.0, optimizer.GradNorm(), 5);
        Assert.Equal(0.6f, a.grad!.data<float>()[0], 5);
    }

    [Fact]
    public void SavedStateRestoresIntoAFreshOptimizerAndContinuesBitForBit()
    {
        using var folder = TestPaths.NewTempFolder();
        using var original = TinyModels.MaskedLm(7);
        using var optimizerA = AdamWOptimizer.Create(original, new AdamWSettings(1e-3));
        var batch = TinyModels.MlmBatch(TinyModels.Sequences(4, 1), 0, 1);
        original.eval();
        void TrainStep(Acclimate.Models.TransformerModel m, AdamWOptimizer o)
        {
            using var scope = NewDisposeScope();
            o.ZeroGrad();
            m.Forward(batch).Loss!.backward();
            o.Step();
        }
        for (var i = 0; i < 3; i++) TrainStep(original, optimizerA);
        var statePath = folder.File(AdamWOptimizer.StateFileName);
        optimizerA.SaveState(statePath);
        Acclimate.Checkpoints.PretrainedModel.Save(original, folder.File("model"));

        using var copy = TinyModels.MaskedLm(99);   // different initial weights, overwritten below
        Acclimate.Checkpoints.PretrainedModel.LoadWeights(copy, folder.File("model"));
        copy.eval();
        using var optimizerB = AdamWOptimizer.Create(copy, new AdamWSettings(1e-3));
        optimizerB.LoadState(statePath);
        Assert.All(optimizerB.State().Values, s => Assert.Equal(3, s.Step));

        TrainStep(original, optimizerA);
        TrainStep(copy, optimizerB);
        var a = original.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in copy.named_parameters())
            Assert.True(TensorAssert.BitEqual(a[name], p), $"{name} differs after one more step");
    }

    [Fact]
    public void LoadingStateOfAnotherModelFailsNamingTheTensor()
    {
        using var folder = TestPaths.NewTempFolder();
        using var twoLayers = TinyModels.MaskedLm(1, layers: 2);
        using var optimizer = AdamWOptimizer.Create(twoLayers, new AdamWSettings(1e-3));
        var path = folder.File(AdamWOptimizer.StateFileName);
        optimizer.SaveState(path);
        using var oneLayer = TinyModels.MaskedLm(1, layers: 1);
        using var other = AdamWOptimizer.Create(oneLayer, new AdamWSettings(1e-3));
        var e = Assert.Throws<CheckpointException>(() => other.LoadState(path));
        Assert.Contains("encoder.layer.1", e.Message);
        Assert.Contains(path, e.Message);
    }

    /// <summary>AdamW for one tensor in float64.</summary>
    private sealed class ReferenceAdamW(float[] initial)
    {
        private readonly double[] _m = new double[initial.Length];
        private readonly double[] _v = new double[initial.Length];
        private int _t;

        public double[] Values { get; } = initial.Select(x => (double)x).ToArray();

        public void Step(float[] grad, double lr, double weightDecay, AdamWSettings s)
        {
            _t++;
            var bc1 = 1 - Math.Pow(s.Beta1, _t);
            var bc2 = 1 - Math.Pow(s.Beta2, _t);
            for (var i = 0; i < Values.Length; i++)
            {
                Values[i] *= 1 - lr * weightDecay;
                _m[i] = s.Beta1 * _m[i] + (1 - s.Beta1) * grad[i];
                _v[i] = s.Beta2 * _v[i] + (1 - s.Beta2) * grad[i] * grad[i];
                var denominator = Math.Sqrt(_v[i]) / Math.Sqrt(bc2) + s.Epsilon;
                Values[i] -= lr / bc1 * _m[i] / denominator;
            }
        }
    }
}
