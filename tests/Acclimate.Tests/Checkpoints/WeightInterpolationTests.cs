using System.Text.Json.Nodes;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tests.FineTuning;
using static TorchSharp.torch;

namespace Acclimate.Tests.Checkpoints;

public sealed class WeightInterpolationTests : IClassFixture<InterpolationModels>
{
    private readonly InterpolationModels _m;

    public WeightInterpolationTests(InterpolationModels models)
    {
        TorchRuntime.EnsureInitialized();
        _m = models;
    }

    private string A => _m.Seeds[0];
    private string B => _m.Seeds[1];

    [Fact]
    public void AlphaZeroGivesFromAndAlphaOneGivesToBitForBit()
    {
        var zero = _m.NewPath("alpha0");
        var one = _m.NewPath("alpha1");
        WeightInterpolation.Interpolate(A, B, 0, zero);
        WeightInterpolation.Interpolate(A, B, 1, one);
        Assert.Equal(File.ReadAllBytes(Path.Combine(A, "model.safetensors")), File.ReadAllBytes(Path.Combine(zero, "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(B, "model.safetensors")), File.ReadAllBytes(Path.Combine(one, "model.safetensors")));
        // The inputs really differ, so the byte equality above says something.
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(A, "model.safetensors")), File.ReadAllBytes(Path.Combine(B, "model.safetensors")));
    }

    [Fact]
    public void HalfwayIsTheMeanInEveryStoredDtypeAndTheDtypeIsKept()
    {
        var from = HandMade("from", new float[] { 1, 2, -4, 0 });
        var to = HandMade("to", new float[] { 3, 2.5f, 4, 4 });
        var half = _m.NewPath("half");
        var quarter = _m.NewPath("quarter");
        WeightInterpolation.Interpolate(from, to, 0.5, half);
        WeightInterpolation.Interpolate(from, to, 0.25, quarter);

        using (var st = SafetensorsFile.Open(Path.Combine(half, "model.safetensors")))
        {
            Assert.Equal(SafetensorsDType.F32, st.Tensors["w.f32"].DType);
            Assert.Equal(SafetensorsDType.F16, st.Tensors["w.f16"].DType);
            Assert.Equal(SafetensorsDType.BF16, st.Tensors["w.bf16"].DType);
            Assert.Equal(SafetensorsDType.I64, st.Tensors["position_ids"].DType);
            foreach (var name in new[] { "w.f32", "w.f16", "w.bf16" })
            {
                using var t = st.ReadTensor(name, ScalarType.Float32);
                Assert.Equal(new float[] { 2, 2.25f, 0, 2 }, t.data<float>().ToArray());
            }
            using var ids = st.ReadTensor("position_ids");
            Assert.Equal(new long[] { 0, 1, 2, 3 }, ids.data<long>().ToArray());
        }
        // α weighs --to: 0.75·from + 0.25·to.
        using (var st = SafetensorsFile.Open(Path.Combine(quarter, "model.safetensors")))
        using (var t = st.ReadTensor("w.bf16", ScalarType.Float32))
            Assert.Equal(new float[] { 1.5f, 2.125f, -2, 1 }, t.data<float>().ToArray());
    }

    [Fact]
    public void TheOutputIsAnHfFolderThatLoadsAndRunsForward()
    {
        var output = _m.NewPath("mid");
        var result = WeightInterpolation.Interpolate(A, B, 0.5, output);
        Assert.Equal(new[] { "model.safetensors" }, result.WeightFiles);
        Assert.Equal(File.ReadAllBytes(Path.Combine(B, "config.json")), File.ReadAllBytes(Path.Combine(output, "config.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(B, "vocab.txt")), File.ReadAllBytes(Path.Combine(output, "vocab.txt")));

        var a = InterpolationModels.ReadAll(A);
        var b = InterpolationModels.ReadAll(B);
        var mid = InterpolationModels.ReadAll(output);
        try
        {
            Assert.Equal(a.Keys.Order(), mid.Keys.Order());
            foreach (var key in new[] { "embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight", "encoder.layer.1.output.LayerNorm.weight" })
            {
                using var expected = (a[key].to_type(ScalarType.Float64) + b[key].to_type(ScalarType.Float64)) / 2;
                using var expected32 = expected.to_type(ScalarType.Float32);
                Assert.True(TensorAssert.BitEqual(expected32, mid[key]), key);
            }
        }
        finally
        {
            foreach (var t in a.Values.Concat(b.Values).Concat(mid.Values)) t.Dispose();
        }

        var (model, report) = PretrainedModel.Load(output);
        using var _ = model;
        Assert.True(report.IsExactMatch, report.Describe());
        model.eval();
        using var noGrad = no_grad();
        using var ids = tensor(new long[,] { { 101, 1000, 2000, 102 } });
        var outputs = model.Forward(new ModelInputs(ids, ones_like(ids)));
        var hidden = outputs.Encoder.LastHiddenState;
        Assert.Equal(new long[] { 1, 4, 16 }, hidden.shape);
        Assert.True(hidden.isfinite().all().item<bool>());
    }

    [Fact]
    public void DifferentHiddenSizesAreRefusedNamingTheTensorAndBothShapes()
    {
        var output = _m.NewPath("never");
        var e = Assert.Throws<CheckpointException>(() => WeightInterpolation.Interpolate(A, _m.Wide, 0.5, output));
        Assert.Contains("tensor 'embeddings.LayerNorm.bias'", e.Message);
        Assert.Contains("[16]", e.Message);
        Assert.Contains("[32]", e.Message);
        AssertNothingWritten(output);
    }

    [Fact]
    public void ADifferentVocabularyIsRefusedNamingTheFile()
    {
        var other = _m.Copy(A, "other-vocab");
        var lines = File.ReadAllLines(Path.Combine(other, "vocab.txt"));
        (lines[1000], lines[1001]) = (lines[1001], lines[1000]);
        File.WriteAllLines(Path.Combine(other, "vocab.txt"), lines);
        var output = _m.NewPath("never");
        var e = Assert.Throws<CheckpointException>(() => WeightInterpolation.Interpolate(B, other, 0.5, output));
        Assert.Contains("vocab.txt", e.Message);
        AssertNothingWritten(output);
    }

    [Fact]
    public void AMissingTensorIsNamed()
    {
        var lacking = WithoutTensor(A, "pooler.dense.bias");
        var output = _m.NewPath("never");
        var e = Assert.Throws<CheckpointException>(() => WeightInterpolation.Interpolate(lacking, B, 0.5, output));
        Assert.Contains("tensor 'pooler.dense.bias'", e.Message);
        Assert.Contains("missing from", e.Message);
        AssertNothingWritten(output);
    }

    [Fact]
    public void AConfigOfAnotherArchitectureIsRefused()
    {
        var other = _m.Copy(A, "other-config");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(other, "config.json")))!.AsObject();
        config["model_type"] = "electra";
        File.WriteAllText(Path.Combine(other, "config.json"), config.ToJsonString());
        var output = _m.NewPath("never");
        var e = Assert.Throws<CheckpointException>(() => WeightInterpolation.Interpolate(other, B, 0.5, output));
        Assert.Contains("'model_type'", e.Message);
        AssertNothingWritten(output);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void AlphaOutsideZeroToOneIsRefused(double alpha)
    {
        var output = _m.NewPath("never");
        var e = Assert.Throws<ConfigException>(() => WeightInterpolation.Interpolate(A, B, alpha, output));
        Assert.Contains("[0, 1]", e.Message);
        AssertNothingWritten(output);
    }

    [Fact]
    public void AnExistingOutputIsRefusedUnlessOverwriteIsAsked()
    {
        var output = _m.NewPath("existing");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "mine");
        var e = Assert.Throws<CheckpointException>(() => WeightInterpolation.Interpolate(A, B, 0.5, output));
        Assert.Contains("exists", e.Message);
        Assert.True(File.Exists(Path.Combine(output, "keep.txt")));

        WeightInterpolation.Interpolate(A, B, 0.5, output, overwrite: true);
        Assert.False(File.Exists(Path.Combine(output, "keep.txt")));
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public void TheCliWritesAndExitsWithTwoOnBadInput()
    {
        var good = _m.NewPath("cli");
        Assert.Equal(0, FineTuneCliFixture.Run(out var stdout, out var stderr, "model", "interpolate", "--from", A, "--to", B, "--alpha", "0.3", "--output", good));
        Assert.Contains("wrote", stdout);
        Assert.True(File.Exists(Path.Combine(good, "model.safetensors")), stderr);

        var otherVocab = _m.Copy(A, "cli-vocab");
        File.AppendAllText(Path.Combine(otherVocab, "vocab.txt"), "extra-token\n");
        var lacking = WithoutTensor(A, "pooler.dense.weight");
        var cases = new (string[] Args, string Expected)[]
        {
            (new[] { "--from", A, "--to", _m.Wide, "--alpha", "0.5" }, "embeddings.LayerNorm.bias"),
            (new[] { "--from", A, "--to", otherVocab, "--alpha", "0.5" }, "vocab.txt"),
            (new[] { "--from", lacking, "--to", B, "--alpha", "0.5" }, "pooler.dense.weight"),
            (new[] { "--from", A, "--to", B, "--alpha", "1.5" }, "[0, 1]"),
        };
        foreach (var (args, expected) in cases)
        {
            var output = _m.NewPath("cli-bad");
            var code = FineTuneCliFixture.Run(out _, out var errors, new[] { "model", "interpolate" }.Concat(args).Concat(new[] { "--output", output }).ToArray());
            Assert.Equal(2, code);
            Assert.Contains(expected, errors);
            AssertNothingWritten(output);
        }

        Assert.Equal(2, FineTuneCliFixture.Run(out _, out var exists, "model", "interpolate", "--from", A, "--to", B, "--alpha", "0.5", "--output", good));
        Assert.Contains("--force", exists);
        Assert.Equal(0, FineTuneCliFixture.Run(out _, out _, "model", "interpolate", "--from", A, "--to", B, "--alpha", "0.5", "--output", good, "--force"));
    }

    private void AssertNothingWritten(string output)
    {
        Assert.False(Directory.Exists(output), $"{output} was written");
        var parent = Path.GetDirectoryName(output)!;
        Assert.Empty(Directory.EnumerateDirectories(parent, "." + Path.GetFileName(output) + ".*"));
    }

    /// <summary>A copy of <paramref name="source"/> whose model.safetensors lacks <paramref name="key"/>.</summary>
    private string WithoutTensor(string source, string key)
    {
        var copy = _m.Copy(source, "lacking");
        var tensors = InterpolationModels.ReadAll(copy);
        try
        {
            Assert.True(tensors.Remove(key, out var removed), key);
            removed!.Dispose();
            SafetensorsWriter.Write(Path.Combine(copy, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        return copy;
    }

    /// <summary>A folder holding the same values as F32, F16 and BF16 tensors plus an integer buffer, a config and a vocabulary.</summary>
    private string HandMade(string name, float[] values)
    {
        var folder = _m.NewPath(name);
        Directory.CreateDirectory(folder);
        using var f32 = tensor(values);
        using var f16 = f32.to_type(ScalarType.Float16);
        using var bf16 = f32.to_type(ScalarType.BFloat16);
        using var ids = arange(values.Length, ScalarType.Int64);
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"),
            new Dictionary<string, Tensor> { ["w.f32"] = f32, ["w.f16"] = f16, ["w.bf16"] = bf16, ["position_ids"] = ids },
            new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"model_type": "bert", "hidden_size": 4, "num_hidden_layers": 1, "vocab_size": 5}""");
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n");
        return folder;
    }
}
