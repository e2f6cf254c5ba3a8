using System.Security.Cryptography;
using Acclimate.Checkpoints;
using Acclimate.Runtime;
using TorchSharp;

namespace Acclimate.Tests.Checkpoints;

public sealed class SafetensorsFixtureTests
{
    /// <summary>Where the shared HF-parity fixtures live on the team machines (outside the repository).</summary>

    public SafetensorsFixtureTests() => TorchRuntime.EnsureInitialized();

    /// <summary>tests/fixtures/safetensors/bert-model.safetensors, found by walking up from the test binaries.</summary>
    internal static string CommittedBertFixture
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, "tests", "fixtures", "safetensors", "bert-model.safetensors");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("tests/fixtures/safetensors/bert-model.safetensors not found above " + AppContext.BaseDirectory);
        }
    }

    [Fact]
    public void TheCommittedBertFixtureIsTheExpectedFile()
    {
        // Pins the fixture, so the facts asserted below are about a known file.
        var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(CommittedBertFixture)));
        Assert.Equal("ccfffda01b0aa1dc0d81ce2cf6cdb456bf5a258c5c6e5f9d719e4fb3cb4b4296", hash);
    }

    [Fact]
    public void TheBertFixtureHasTheShapesAndTiedWeightsOfTheModelItHolds()
    {
        using var file = SafetensorsFile.Open(CommittedBertFixture);

        Assert.Equal(48, file.Tensors.Count);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(new long[] { 120, 64 }, file.Tensors["bert.embeddings.word_embeddings.weight"].Shape);
        Assert.Equal(new long[] { 37, 64 }, file.Tensors["bert.encoder.layer.0.intermediate.dense.weight"].Shape);
        Assert.Equal(new long[] { 64 }, file.Tensors["bert.embeddings.LayerNorm.weight"].Shape);
        Assert.Equal(new long[] { 2, 64 }, file.Tensors["bert.embeddings.token_type_embeddings.weight"].Shape);
        Assert.All(file.Tensors.Values, t => Assert.Equal(SafetensorsDType.F32, t.DType));

        using var embeddings = file.ReadTensor("bert.embeddings.word_embeddings.weight");
        using var decoder = file.ReadTensor("cls.predictions.decoder.weight");
        Assert.Equal(torch.ScalarType.Float32, embeddings.dtype);
        // BertForPreTraining ties the decoder to the word embeddings and this file stores both copies.
        Assert.True(SafetensorsTestBytes.SameBits(embeddings, decoder));
        // pad_token_id 0 is the embedding's padding index, initialised to zeros; other rows are not.
        using var padRow = embeddings[0];
        using var firstRealRow = embeddings[1];
        Assert.All(padRow.data<float>().ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains(firstRealRow.data<float>().ToArray(), v => v != 0f);
    }

    [Fact]
    public void EveryTensorOfTheBertFixtureMatchesAnIndependentParseOfTheBytes()
    {
        AssertMatchesIndependentParse(CommittedBertFixture);
    }

    [Fact]
    public void EveryCommittedHfParitySafetensorsFileMatchesAnIndependentParse()
    {
        // tests/fixtures/hf-parity holds copies of every HuggingFace-made file (see its PROVENANCE.md),
        // so this runs everywhere rather than only where the shared folder happens to exist.
        var files = Directory.GetFiles(TestPaths.Fixture("hf-parity"), "*.safetensors", SearchOption.AllDirectories);
        Assert.True(files.Length >= 14, $"expected the 7 HF parity fixtures' model and expected files, found {files.Length}");
        Assert.Contains(files, f => f.EndsWith(Path.Combine("bert", "model.safetensors"), StringComparison.Ordinal));
        foreach (var path in files) AssertMatchesIndependentParse(path);
    }

    private static void AssertMatchesIndependentParse(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var raw = SafetensorsTestBytes.Parse(bytes);
        using var file = SafetensorsFile.Open(path);

        Assert.Equal(raw.Metadata, file.Metadata);
        Assert.Equal(raw.Tensors.Keys.Order(StringComparer.Ordinal), file.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var expected in raw.Tensors.Values)
        {
            var info = file.Tensors[expected.Name];
            Assert.Equal(expected.DType, info.DType.FormatName());
            Assert.Equal(expected.Shape, info.Shape);
            Assert.Equal((expected.Begin, expected.End), (info.DataBegin, info.DataEnd));

            using var tensor = file.ReadTensor(expected.Name);
            Assert.Equal(expected.Shape, tensor.shape);
            // A checksum taken from the file bytes directly, compared with one of the tensor's memory.
            Assert.Equal(SHA256.HashData(expected.Data), SHA256.HashData(tensor.bytes));
        }
    }
}
