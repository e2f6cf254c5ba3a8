using Acclimate.Checkpoints;
using Acclimate.Cli;
using Acclimate.Runtime;

namespace Acclimate.Tests.Models;

public sealed class ModelForwardCommandTests
{
    public ModelForwardCommandTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void WritesEveryFixtureTensorUnderTheFixtureNames()
    {
        var folder = TestPaths.Fixture("hf-parity", "albert");
        using var temp = TestPaths.NewTempFolder();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "model", "forward", "--model", folder, "--inputs", Path.Combine(folder, "inputs.json"),
                                      "--output", temp.File("out.safetensors"), "--device", "cpu" }, stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        using var expected = SafetensorsFile.Open(Path.Combine(folder, "expected.safetensors"));
        using var produced = SafetensorsFile.Open(temp.File("out.safetensors"));
        Assert.Equal(expected.Tensors.Keys.OrderBy(k => k, StringComparer.Ordinal), produced.Tensors.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var name in expected.Tensors.Keys)
        {
            using var want = expected.ReadTensor(name);
            using var got = produced.ReadTensor(name);
            using var diff = (want - got).abs().max();
            Assert.True(diff.item<float>() < 1e-4, $"{name}: {diff.item<float>()}");
        }
    }

    [Fact]
    public void BadInputsFileIsExitCode2WithTheFileNamed()
    {
        var folder = TestPaths.Fixture("hf-parity", "bert");
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllText(temp.File("inputs.json"), "{\"batches\": [{\"input_ids\": [[1, 2], [3]]}]}");
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "model", "forward", "--model", folder, "--inputs", temp.File("inputs.json"),
                                      "--output", temp.File("out.safetensors") }, new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains("inputs.json", stderr.ToString());
        Assert.Contains("equal length", stderr.ToString());
        Assert.DoesNotContain("   at ", stderr.ToString());
        Assert.False(File.Exists(temp.File("out.safetensors")));
    }

    [Fact]
    public void MissingModelFolderIsExitCode2()
    {
        using var temp = TestPaths.NewTempFolder();
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "model", "info", "--model", temp.File("nope") }, new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains("nope", stderr.ToString());
    }
}
