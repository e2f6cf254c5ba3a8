using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Pretraining;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.Pretraining;

/// <summary>ELECTRA replaced-token detection: labels, shared embeddings, the loss sum, learning, HF folders.</summary>
public sealed class ElectraPretrainingTests
{
    private const int Vocab = 40;
    private static readonly SpecialTokenIds Specials = new(pad: 0, mask: 4, cls: 1, sep: 2);

    public ElectraPretrainingTests() => TorchRuntime.EnsureInitialized();

    // Discriminator: hidden 32, 4 heads, embedding 16 → generator (¼): hidden 8, 1 head, intermediate 16.
    private static EncoderConfig DiscriminatorConfig() =>
        EncoderConfig.Create(ModelType.Electra, vocabSize: Vocab, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 64,
            embeddingSize: 16, maxPositions: 32, extra: o => { o["hidden_dropout_prob"] = 0.0; o["attention_probs_dropout_prob"] = 0.0; });

    private static ElectraPretrainingModel NewModel(long seed = 1)
    {
        manual_seed(seed);
        return ElectraPretrainingModel.Create(DiscriminatorConfig(), new Generator((ulong)seed));
    }

    private static MlmBatch Batch(int seed)
    {
        var data = new Random(seed);
        var examples = Enumerable.Range(0, 4).Select(b =>
        {
            var ids = new int[8 + b * 2];
            ids[0] = Specials.Cls;
            for (var i = 1; i < ids.Length - 1; i++) ids[i] = data.Next(5, Vocab);
            ids[^1] = Specials.Sep;
            return new MlmExample(ids);
        }).ToArray();
        var options = new MlmMaskingOptions { MaskProbability = 0.25, MaskTokenFraction = 0.85, RandomTokenFraction = 0 };
        return new MlmCollator(options, Specials, Vocab).Collate(examples, new Random(seed));
    }

    [Fact]
    public void ReplacedTokenLabelsMarkOnlyRealChangedTokens()
    {
        using var original = tensor(new long[] { 1, 7, 8, 9, 2, 0, 1, 5, 6, 2, 0, 0 }, new long[] { 2, 6 });
        // Row 0: position 1 replaced (7→11), position 3 "replaced" by itself (9→9), padding position 5 differs.
        // Row 1: position 2 replaced (6→12), padding position 4 differs.
        using var corrupted = tensor(new long[] { 1, 11, 8, 9, 2, 33, 1, 5, 12, 2, 17, 0 }, new long[] { 2, 6 });
        using var mask = tensor(new long[] { 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0 }, new long[] { 2, 6 });
        using var labels = ElectraPretrainingModel.ReplacedTokenLabels(original, corrupted, mask);
        Assert.Equal(new long[] { 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 }, labels.data<long>().ToArray());
        Assert.Equal(ScalarType.Int64, labels.dtype);

        using var positions = tensor(new long[] { 1, 3, 8 });
        using var sampled = tensor(new long[] { 11, 9, 12 });
        using var written = ElectraPretrainingModel.Corrupt(original, positions, sampled);
        Assert.Equal(new long[] { 1, 11, 8, 9, 2, 0, 1, 5, 12, 2, 0, 0 }, written.data<long>().ToArray());
    }

    [Fact]
    public void GeneratorConfigScalesWidthAndKeepsTheSharedEmbeddingSize()
    {
        var gen = ElectraPretrainingModel.GeneratorConfig(DiscriminatorConfig(), 0.25);
        Assert.Equal(8, gen.HiddenSize);
        Assert.Equal(1, gen.NumAttentionHeads);
        Assert.Equal(16, gen.IntermediateSize);
        Assert.Equal(16, gen.EmbeddingSize);
        Assert.Equal(2, gen.NumHiddenLayers);
        Assert.Equal(0.0, gen.HiddenDropoutProb);
        var half = ElectraPretrainingModel.GeneratorConfig(DiscriminatorConfig(), 0.5);
        Assert.Equal((16, 2, 32), (half.HiddenSize, half.NumAttentionHeads, half.IntermediateSize));
    }

    [Fact]
    public void EmbeddingsAreTheSameTensorsAndEachModelKeepsItsOwnProjection()
    {
        using var model = NewModel();
        var gen = model.Generator.CheckpointState();
        var disc = model.Discriminator.CheckpointState();
        foreach (var key in new[] { "word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight", "LayerNorm.weight", "LayerNorm.bias" })
        {
            var g = gen[$"electra.embeddings.{key}"];
            var d = disc[$"electra.embeddings.{key}"];
            Assert.Same(d, g);   // the one Parameter object, registered in both models
            // Update one → the other changes.
            using (no_grad()) d.add_(0.5);
            Assert.True(TensorAssert.BitEqual(g, d));
        }
        // What the generator's modules read (the native tensors behind the getters) moved too.
        using (no_grad()) disc["electra.embeddings.word_embeddings.weight"].add_(1.0);
        using var genTable = model.Generator.Encoder.Embeddings.WordEmbeddingWeight.detach();
        Assert.True(TensorAssert.BitEqual(genTable, disc["electra.embeddings.word_embeddings.weight"]));
        // Sharing fixes the embedding width at 16; each model projects it to its own hidden size.
        Assert.Equal(new long[] { 8, 16 }, gen["electra.embeddings_project.weight"].shape);
        Assert.Equal(new long[] { 32, 16 }, disc["electra.embeddings_project.weight"].shape);
        Assert.NotEqual(gen["electra.embeddings_project.weight"].Handle, disc["electra.embeddings_project.weight"].Handle);

        // parameters() lists each shared tensor once: 5 shared tensors are not counted twice.
        var combined = model.parameters().Count();
        Assert.Equal(model.Generator.parameters().Count() + model.Discriminator.parameters().Count() - 5, combined);
    }

    [Fact]
    public void DifferentEmbeddingSizesCannotBeShared()
    {
        var disc = (ElectraDiscriminatorModel)ModelFactory.Create(DiscriminatorConfig(), ModelTask.PreTraining);
        var genConfig = EncoderConfig.Create(ModelType.Electra, Vocab, 8, 2, 1, 16, embeddingSize: 8, maxPositions: 32);
        var gen = (MaskedLmModel)ModelFactory.Create(genConfig, ModelTask.MaskedLM);
        using var _d = disc;
        using var _g = gen;
        var e = Assert.Throws<ConfigException>(() => new ElectraPretrainingModel(gen, disc, new Generator(1)));
        Assert.Contains("embedding_size", e.Message);
    }

    [Fact]
    public void TotalLossIsGeneratorPlusFiftyTimesDiscriminatorComputedByHand()
    {
        using var model = NewModel(2);
        model.eval();
        using var batch = Batch(3);
        Assert.True(batch.MaskedCount > 0);
        using var scope = NewDisposeScope();
        model.Sampler.manual_seed(77);
        var loss = model.Compute(batch);

        // By hand: HF's full-logits generator loss; the same samples (same sampler seed, same
        // softmax); the discriminator's own HF loss on the corrupted batch.
        var generatorLoss = model.Generator.Forward(batch.ToModelInputs()).Loss!;
        var hidden = model.Generator.Encoder.Forward(batch.InputIds, batch.AttentionMask).LastHiddenState;
        var atMasked = model.Generator.PredictTokens(hidden.reshape(-1, hidden.shape[^1]).index_select(0, batch.MaskedPositions));
        var sampled = multinomial(nn.functional.softmax(atMasked, -1), 1, replacement: true, generator: new Generator(77)).reshape(-1);
        var corrupted = ElectraPretrainingModel.Corrupt(batch.OriginalInputIds, batch.MaskedPositions, sampled);
        var rtd = ElectraPretrainingModel.ReplacedTokenLabels(batch.OriginalInputIds, corrupted, batch.AttentionMask);
        var discriminatorLoss = model.Discriminator.Forward(new ModelInputs(corrupted, batch.AttentionMask) { Labels = rtd }).Loss!;

        Assert.Equal(generatorLoss.item<float>(), loss.Parts["generator"].item<float>(), 1e-5f);
        Assert.Equal(discriminatorLoss.item<float>(), loss.Parts["discriminator"].item<float>(), 1e-5f);
        Assert.Equal(generatorLoss.item<float>() + 50 * discriminatorLoss.item<float>(), loss.Total.item<float>(), 1e-4f);
        using var real = batch.AttentionMask.sum();
        Assert.Equal(rtd.sum().item<long>() / (float)real.item<long>(), loss.Parts["replaced_fraction"].item<float>(), 1e-6f);
    }

    [Fact]
    public void DiscriminatorGradientDoesNotReachTheGeneratorThroughSampling()
    {
        using var model = NewModel(4);
        using var batch = Batch(5);
        using var scope = NewDisposeScope();
        var loss = model.Compute(batch);
        loss.Parts["discriminator"].backward();
        var generatorOnly = model.Generator.named_parameters()
            .Where(p => !p.name.StartsWith("electra.embeddings.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(generatorOnly);
        foreach (var (name, p) in generatorOnly)
            Assert.True(p.grad is null || p.grad.abs().max().item<float>() == 0f, $"generator parameter {name} got a gradient from the discriminator loss");
        // The shared embeddings do get the discriminator's gradient.
        Assert.NotNull(model.Discriminator.Encoder.Embeddings.WordEmbeddingWeight.grad);
    }

    [Fact]
    public void SamplingIsReproducibleFromTheSamplerState()
    {
        using var model = NewModel(6);
        model.eval();
        using var batch = Batch(7);
        using var scope = NewDisposeScope();
        model.Sampler.manual_seed(5);
        var state = model.Sampler.get_state();
        var first = model.Compute(batch).Total.item<float>();
        var second = model.Compute(batch).Total.item<float>();   // the sampler moved on
        model.Sampler.set_state(state);
        var replay = model.Compute(batch).Total.item<float>();
        Assert.Equal(first, replay);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void AFewStepsLowerTheLoss()
    {
        using var model = NewModel(8);
        model.train();
        using var batch = Batch(9);
        using var optimizer = optim.Adam(model.parameters(), lr: 2e-3);
        float Loss()
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            model.Sampler.manual_seed(123);   // same draws for the before/after comparison
            return model.Compute(batch).Total.item<float>();
        }
        var before = Loss();
        for (var step = 0; step < 15; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            model.Compute(batch).Total.backward();
            optimizer.step();
        }
        var after = Loss();
        Assert.True(after < before - 1e-2, $"ELECTRA loss did not go down: {before} → {after}");
    }

    [Fact]
    public void SavesTheDiscriminatorAndGeneratorAsHfFolders()
    {
        using var model = NewModel(10);
        model.eval();
        var root = Path.Combine(Path.GetTempPath(), "acclimate-electra-" + Guid.NewGuid().ToString("N"));
        try
        {
            model.SaveDiscriminator(Path.Combine(root, "discriminator"));
            model.SaveGenerator(Path.Combine(root, "generator"));
            var (disc, discReport) = PretrainedModel.Load(Path.Combine(root, "discriminator"));
            using var _d = disc;
            Assert.IsType<ElectraDiscriminatorModel>(disc);
            Assert.Equal("ElectraForPreTraining", disc.ArchitectureName);
            Assert.Empty(discReport.MissingKeys);
            Assert.Empty(discReport.UnexpectedKeys);
            var (gen, genReport) = PretrainedModel.Load(Path.Combine(root, "generator"));
            using var _g = gen;
            Assert.Equal("ElectraForMaskedLM", gen.ArchitectureName);
            Assert.Empty(genReport.MissingKeys);
            Assert.Equal(8, gen.Config.HiddenSize);

            // The saved discriminator is a starting point for fine-tuning: only the new head is missing.
            var (tagger, taggerReport) = PretrainedModel.Load(Path.Combine(root, "discriminator"), ModelTask.TokenClassification, new[] { "O", "B-X" });
            using var _t = tagger;
            Assert.All(taggerReport.MissingKeys, k => Assert.StartsWith("classifier.", k));

            // Both folders load back into a pretraining pair that computes the same loss.
            var (pair, pairDiscReport, pairGenReport) = ElectraPretrainingModel.Load(
                Path.Combine(root, "discriminator"), Path.Combine(root, "generator"), new Generator(5));
            using var _p = pair;
            Assert.Empty(pairDiscReport.MissingKeys);
            Assert.Empty(pairGenReport.MissingKeys);
            pair.eval();
            using (var lossBatch = Batch(12))
            using (NewDisposeScope())
            {
                model.Sampler.manual_seed(5);
                Assert.Equal(model.Compute(lossBatch).Total.item<float>(), pair.Compute(lossBatch).Total.item<float>(), 1e-5f);
            }

            // Same weights → same discriminator logits.
            using var batch = Batch(11);
            using var scope = NewDisposeScope();
            disc.eval();
            var inputs = new ModelInputs(batch.OriginalInputIds, batch.AttentionMask);
            var expected = model.Discriminator.Forward(inputs).Logits;
            var actual = disc.Forward(inputs).Logits;
            Assert.True((expected - actual).abs().max().item<float>() < 1e-6f);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
