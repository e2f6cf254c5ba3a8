using Acclimate.Checkpoints;
using Acclimate.Checkpoints.PytorchBin;
using Acclimate.Cli;
using Acclimate.Errors;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Tests.Checkpoints;

/// <summary>
/// HF folders with pytorch_model.bin (one file or shards) load like safetensors ones, tensor for
/// tensor; <c>model convert --to safetensors</c> round-trips; hostile pickles are refused with
/// nothing executed. Fixtures: tests/fixtures/pytorch-bin (see its README and make.py).
/// </summary>
public sealed class PytorchBinTests
{
    /// <summary>The file every hostile payload would create if it ran (make.py's MARKER).</summary>
    private const string Marker = "/tmp/acclimate-hostile-pickle-marker";

    public PytorchBinTests() => TorchRuntime.EnsureInitialized();

    private static string Single => TestPaths.Fixture("pytorch-bin", "single");
    private static string Sharded => TestPaths.Fixture("pytorch-bin", "sharded");
    private static string Expected => TestPaths.Fixture("pytorch-bin", "expected.safetensors");
    private static string Hostile(string name) => TestPaths.Fixture("pytorch-bin", "hostile", name);

    private static void AssertMatchesExpected(IReadOnlyCollection<string> keys, Func<string, Tensor> read, Func<string, long[]> shape)
    {
        using var expected = SafetensorsFile.Open(Expected);
        Assert.Equal(expected.Tensors.Keys.OrderBy(k => k, StringComparer.Ordinal), keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var key in keys)
        {
            using var want = expected.ReadTensor(key);
            using var got = read(key);
            Assert.Equal(want.shape, shape(key));
            Assert.Equal(want.dtype, got.dtype);
            Assert.True(got.is_contiguous(), key);
            Assert.True(TensorAssert.BitEqual(want, got), $"{key} differs from expected.safetensors");
        }
    }

    [Fact]
    public void SingleBinReadsEveryTensorExactly()
    {
        using var file = PytorchBinFile.Open(Path.Combine(Single, "pytorch_model.bin"));
        AssertMatchesExpected(file.Keys, file.ReadTensor, file.Shape);
        // The fixture exercises what real checkpoints hold: mixed dtypes, offsets, strides, shared storage.
        Assert.Equal(ScalarType.Float16, file.DType("cls.seq_relationship.weight"));
        Assert.Equal(ScalarType.BFloat16, file.DType("bert.pooler.dense.bias"));
        Assert.Equal(ScalarType.Int64, file.DType("bert.embeddings.position_ids"));
    }

    [Fact]
    public void ShardedBinReadsEveryTensorExactly()
    {
        using var weights = CheckpointWeights.Open(Sharded);
        Assert.True(weights.IsPytorchBin);
        AssertMatchesExpected(weights.Keys, weights.Read, weights.Shape);
        Assert.EndsWith("pytorch_model-00002-of-00002.bin", weights.SourceOf("cls.seq_relationship.bias"));
    }

    [Theory]
    [InlineData("single")]
    [InlineData("sharded")]
    public void HfLoaderGivesTheSameModelAsFromSafetensors(string fixture)
    {
        using var temp = TestPaths.NewTempFolder();
        File.Copy(Path.Combine(Single, "config.json"), temp.File("config.json"));
        File.Copy(Expected, temp.File(PretrainedModel.WeightsFileName));
        var (fromSafetensors, stReport) = PretrainedModel.Load(temp.Path);
        using var _s = fromSafetensors;
        var (fromBin, binReport) = PretrainedModel.Load(TestPaths.Fixture("pytorch-bin", fixture));
        using var _b = fromBin;

        Assert.Equal(stReport.LoadedKeys, binReport.LoadedKeys);
        Assert.Equal(stReport.MissingKeys, binReport.MissingKeys);
        Assert.Equal(stReport.UnexpectedKeys, binReport.UnexpectedKeys);
        Assert.Equal(stReport.IgnoredKeys, binReport.IgnoredKeys);
        Assert.True(binReport.IsExactMatch, binReport.Describe());
        var want = fromSafetensors.CheckpointState();
        var got = fromBin.CheckpointState();
        Assert.Equal(want.Keys.OrderBy(k => k), got.Keys.OrderBy(k => k));
        foreach (var (key, tensor) in want)
            Assert.True(TensorAssert.BitEqual(tensor, got[key]), $"{key} differs between the .bin and the safetensors load");
    }

    [Fact]
    public void SafetensorsTakesPrecedenceOverBin()
    {
        // The .bin beside it is hostile: loading succeeds only if it is never opened.
        using var temp = TestPaths.NewTempFolder();
        File.Copy(Path.Combine(Single, "config.json"), temp.File("config.json"));
        File.Copy(Expected, temp.File(PretrainedModel.WeightsFileName));
        File.Copy(Hostile("os-system.bin"), temp.File(PretrainedModel.PytorchWeightsFileName));
        var (model, report) = PretrainedModel.Load(temp.Path);
        using var _m = model;
        Assert.True(report.IsExactMatch, report.Describe());
    }

    [Fact]
    public void CliConvertWritesASafetensorsFolderThatLoadsTheSame()
    {
        using var temp = TestPaths.NewTempFolder();
        var outDir = temp.File("converted");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(0, CliApp.Run(["model", "convert", "--to", "safetensors", "--model", Sharded, "--output", outDir], stdout, stderr));
        using (var expected = SafetensorsFile.Open(Expected))
            Assert.Contains($"wrote {expected.Tensors.Count} tensors", stdout.ToString());
        Assert.Equal(new[] { "config.json", "model.safetensors", "vocab.txt" },
                     Directory.GetFiles(outDir).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(File.ReadAllText(Path.Combine(Sharded, "vocab.txt")), File.ReadAllText(Path.Combine(outDir, "vocab.txt")));

        using (var converted = SafetensorsFile.Open(Path.Combine(outDir, "model.safetensors")))
            AssertMatchesExpected(converted.Tensors.Keys.ToList(), converted.ReadTensor, k => converted.Tensors[k].Shape);

        var (fromConverted, _) = PretrainedModel.Load(outDir);
        using var _c = fromConverted;
        var (fromBin, _) = PretrainedModel.Load(Sharded);
        using var _b = fromBin;
        var got = fromConverted.CheckpointState();
        foreach (var (key, tensor) in fromBin.CheckpointState())
            Assert.True(TensorAssert.BitEqual(tensor, got[key]), key);
    }

    [Fact]
    public void CliConvertInPlaceWritesBesideTheBinAndThenRefusesToConvertAgain()
    {
        using var temp = TestPaths.NewTempFolder();
        foreach (var file in Directory.GetFiles(Single)) File.Copy(file, temp.File(Path.GetFileName(file)));
        Assert.Equal(0, CliApp.Run(["model", "convert", "--to", "safetensors", "--model", temp.Path], new StringWriter(), new StringWriter()));
        Assert.True(File.Exists(temp.File(PretrainedModel.WeightsFileName)));
        using (var weights = CheckpointWeights.Open(temp.Path)) Assert.False(weights.IsPytorchBin);

        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["model", "convert", "--to", "safetensors", "--model", temp.Path], new StringWriter(), stderr));
        Assert.Contains("already safetensors", stderr.ToString());
        Assert.Equal(2, CliApp.Run(["model", "convert", "--to", "onnx", "--model", Single], new StringWriter(), stderr = new StringWriter()));
        Assert.Contains("expected safetensors", stderr.ToString());
    }

    public static TheoryData<string, string> HostileFiles => new()
    {
        { "os-system.bin", "refused the Python global 'os.system'" },
        { "posix-system.bin", "refused the Python global 'posix.system'" },
        { "builtins-eval.bin", "refused the Python global 'builtins.eval'" },
        { "stack-global.bin", "refused the Python global 'subprocess.Popen'" },
        { "getattr-in-dict.bin", "refused the Python global '__builtin__.getattr'" },
        { "reduce-on-storage-type.bin", "refused REDUCE on torch.FloatStorage" },
        { "inst-opcode.bin", "refused opcode INST" },
        { "unknown-opcode.bin", "unknown opcode 0xee" },
        { "missing-storage.bin", "storage '7' (FloatStorage) is not in the archive" },
        { "out-of-bounds-view.bin", "reaches element 99 but storage '0' holds 4 elements" },
        { "truncated-pickle.bin", "truncated" },
        { "truncated-zip.bin", "truncated or corrupt" },
        { "legacy-format.bin", "legacy (non-zip) format" },
    };

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void HostileFileIsRefusedNamingFileAndCauseWithNothingExecuted(string name, string expected)
    {
        if (File.Exists(Marker)) File.Delete(Marker);
        var path = Hostile(name);
        var e = Assert.Throws<CheckpointException>(() => PytorchBinFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message.Replace(path, ""));   // the cause, not the file name ("truncated-…")
        Assert.False(File.Exists(Marker), "a hostile payload ran");
    }

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void HostileFolderFailsTheCliWithExit2AndNoStackTrace(string name, string expected)
    {
        if (File.Exists(Marker)) File.Delete(Marker);
        using var temp = TestPaths.NewTempFolder();
        File.Copy(Path.Combine(Single, "config.json"), temp.File("config.json"));
        File.Copy(Hostile(name), temp.File(PretrainedModel.PytorchWeightsFileName));
        var stderr = new StringWriter();
        Assert.Equal(2, CliApp.Run(["model", "info", "--model", temp.Path], new StringWriter(), stderr));
        var file = temp.File(PretrainedModel.PytorchWeightsFileName);
        Assert.Contains(file, stderr.ToString());
        Assert.Contains(expected, stderr.ToString().Replace(file, ""));
        Assert.DoesNotContain("   at ", stderr.ToString());
        Assert.False(File.Exists(Marker), "a hostile payload ran");
    }

    [Fact]
    public void ShardIndexNamingAFileOutsideTheFolderIsRefused()
    {
        using var temp = TestPaths.NewTempFolder();
        File.Copy(Path.Combine(Single, "config.json"), temp.File("config.json"));
        File.WriteAllText(temp.File(PretrainedModel.PytorchShardIndexFileName), "{\"weight_map\": {\"a\": \"../../etc/passwd\"}}");
        var e = Assert.Throws<CheckpointException>(() => PretrainedModel.Load(temp.Path));
        Assert.Contains("../../etc/passwd", e.Message);
        Assert.Contains("expected a file name in the same folder", e.Message);
    }
}

/// <summary>Damaged .bin files (random byte changes in data.pkl) fail with a CheckpointException, never another exception or a crash.</summary>
public sealed class PytorchBinCorruptionTests
{
    public PytorchBinCorruptionTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void MutatedPicklesFailCleanly()
    {
        var source = TestPaths.Fixture("pytorch-bin", "single", "pytorch_model.bin");
        var pickle = Read(source, "pytorch_model/data.pkl");
        var storages = new List<(string Name, byte[] Bytes)>();
        using (var zip = System.IO.Compression.ZipFile.OpenRead(source))
            foreach (var entry in zip.Entries.Where(e => e.FullName != "pytorch_model/data.pkl"))
                storages.Add((entry.FullName, Read(source, entry.FullName)));

        using var temp = TestPaths.NewTempFolder();
        var random = new Random(27);
        var refused = 0;
        for (var trial = 0; trial < 300; trial++)
        {
            var mutated = (byte[])pickle.Clone();
            for (var k = random.Next(1, 4); k > 0; k--) mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            var path = temp.File($"m{trial}.bin");
            using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
            {
                Write(zip, "pytorch_model/data.pkl", mutated);
                foreach (var (name, bytes) in storages) Write(zip, name, bytes);
            }
            try
            {
                using var file = PytorchBinFile.Open(path);
                foreach (var key in file.Keys) file.ReadTensor(key).Dispose();
            }
            catch (CheckpointException e)
            {
                Assert.Contains(path, e.Message);
                refused++;
            }
        }
        Assert.True(refused > 100, $"only {refused} of 300 mutations were refused");
    }

    private static byte[] Read(string path, string name)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        var entry = zip.GetEntry(name)!;
        using var s = entry.Open();
        var bytes = new byte[entry.Length];
        s.ReadExactly(bytes);
        return bytes;
    }

    private static void Write(System.IO.Compression.ZipArchive zip, string name, byte[] bytes)
    {
        using var s = zip.CreateEntry(name, System.IO.Compression.CompressionLevel.NoCompression).Open();
        s.Write(bytes);
    }
}
