using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Runtime;
using TorchSharp;
using Acclimate.IO;

namespace Acclimate.Tests.Checkpoints;

/// <summary>Atomicity of writes and refusal of inputs the format cannot represent.</summary>
public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly SafetensorsTempFolder _folder = new();

    public SafetensorsWriterTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void AnEnumerationThatThrowsMidwayLeavesTheExistingTargetUnchanged()
    {
        var path = ExistingTarget(out var before);
        using var tensor = torch.ones(3);

        IEnumerable<KeyValuePair<string, torch.Tensor>> Failing()
        {
            yield return KeyValuePair.Create("first", tensor);
            throw new InvalidOperationException("source went away");
        }

        Assert.Throws<InvalidOperationException>(() => SafetensorsWriter.Write(path, Failing()));
        AssertUnchanged(path, before);
    }

    [Fact]
    public void AFailureAfterPartOfTheContentIsWrittenLeavesTheTargetUnchanged()
    {
        var path = ExistingTarget(out var before);

        var error = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[4096]);
            stream.Flush();
            throw new IOException("disk full (simulated)");
        }));

        Assert.Equal("disk full (simulated)", error.Message);
        AssertUnchanged(path, before);
    }

    [Fact]
    public void AtomicFileReplacesTheTargetAndLeavesNoTemporaryFile()
    {
        var path = ExistingTarget(out _);

        AtomicFile.WriteAllText(path, "{\"ok\": true}");

        Assert.Equal("{\"ok\": true}"u8.ToArray(), File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder.Folder));
    }

    [Fact]
    public void AWriteIntoAMissingFolderIsACheckpointErrorNamingTheFile()
    {
        var path = Path.Combine(_folder.Folder, "no-such-folder", "model.safetensors");
        using var tensor = torch.ones(1);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("x", tensor) }));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("could not be written", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADuplicateNameIsRefusedAndTheTargetKept()
    {
        var path = ExistingTarget(out var before);
        using var a = torch.ones(1);
        using var b = torch.zeros(1);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("w", a), KeyValuePair.Create("w", b) }));
        AssertNames(error, path, "'w'", "given twice");
        AssertUnchanged(path, before);
    }

    [Fact]
    public void TheReservedMetadataNameIsRefused()
    {
        var path = ExistingTarget(out var before);
        using var a = torch.ones(1);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("__metadata__", a) }));
        AssertNames(error, path, "'__metadata__'", "reserved");
        AssertUnchanged(path, before);
    }

    [Fact]
    public void ADTypeSafetensorsCannotHoldIsRefused()
    {
        var path = ExistingTarget(out var before);
        using var ok = torch.ones(2);
        using var complex = torch.zeros(2, dtype: torch.ScalarType.ComplexFloat32);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("ok", ok), KeyValuePair.Create("c", complex) }));
        AssertNames(error, path, "'c'", "ComplexFloat32", "cannot be stored");
        AssertUnchanged(path, before);
    }

    [Fact]
    public void ADisposedTensorIsRefused()
    {
        var path = ExistingTarget(out var before);
        var gone = torch.ones(2);
        gone.Dispose();

        var error = Assert.Throws<CheckpointException>(() => SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("gone", gone) }));
        AssertNames(error, path, "'gone'", "disposed");
        AssertUnchanged(path, before);
    }

    [Fact]
    public void ANameThatIsNotValidUnicodeIsRefused()
    {
        var path = ExistingTarget(out var before);
        using var a = torch.ones(1);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("bad\uD800name", a) }));
        AssertNames(error, path, "not valid Unicode");
        AssertUnchanged(path, before);
    }

    [Fact]
    public void WritingDoesNotDisposeOrAlterTheCallersTensors()
    {
        var path = _folder.File("keep.safetensors");
        using var tensor = torch.arange(6, dtype: torch.ScalarType.Float32).reshape(2, 3);
        using var transposed = tensor.t();

        SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("t", transposed) });

        Assert.False(transposed.IsInvalid);
        Assert.False(transposed.is_contiguous());
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, tensor.data<float>().ToArray());
    }

    private string ExistingTarget(out byte[] bytes)
    {
        var path = _folder.File("model.safetensors");
        using var original = torch.full(4, 42f);
        SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("original", original) }, new Dictionary<string, string> { ["format"] = "pt" });
        bytes = File.ReadAllBytes(path);
        return path;
    }

    private void AssertUnchanged(string path, byte[] before)
    {
        Assert.Equal(before, File.ReadAllBytes(path));
        // No partial temporary file may be left beside the target either.
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder.Folder));
    }

    private static void AssertNames(CheckpointException error, string path, params string[] fragments)
    {
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        foreach (var fragment in fragments) Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }
}
