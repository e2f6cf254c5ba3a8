using Acclimate.Checkpoints;
using Acclimate.Tests.FineTuning;
using static TorchSharp.torch;

namespace Acclimate.Tests.Checkpoints;

/// <summary>
/// Tiny randomly initialized BERT encoders written by <c>model init</c> (2 layers, hidden 16,
/// bert-base-cased vocabulary): four of one shape (seeds 1–4) and one of hidden 32, shared by the
/// interpolation and averaging tests.
/// </summary>
public sealed class InterpolationModels : IDisposable
{
    public InterpolationModels()
    {
        Temp = new TempFolder();
        Seeds = new[] { 1, 2, 3, 4 }.Select(s => Init($"seed-{s}", hidden: 16, seed: s)).ToArray();
        Wide = Init("wide", hidden: 32, seed: 1);
    }

    public TempFolder Temp { get; }

    /// <summary>Same shape, different seeds.</summary>
    public string[] Seeds { get; }

    /// <summary>Hidden size 32 instead of 16.</summary>
    public string Wide { get; }

    public string NewPath(string name) => Temp.File(name + "-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>A copy of <paramref name="source"/> (every file, subfolders included).</summary>
    public string Copy(string source, string name)
    {
        var target = NewPath(name);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }

    /// <summary>Every tensor of a folder's model.safetensors, by name (caller disposes).</summary>
    public static Dictionary<string, Tensor> ReadAll(string folder, string file = PretrainedModel.WeightsFileName)
    {
        using var st = SafetensorsFile.Open(Path.Combine(folder, file));
        return st.Tensors.Keys.ToDictionary(k => k, k => st.ReadTensor(k), StringComparer.Ordinal);
    }

    private string Init(string name, int hidden, int seed)
    {
        var folder = Temp.File(name);
        var code = FineTuneCliFixture.Run(out var output, out var errors, "model", "init", "--tokenizer", TestPaths.Fixture("tokenizers", "bert-base-cased"),
            "--output", folder, "--layers", "2", "--hidden", hidden.ToString(), "--heads", "2", "--intermediate", "32", "--max-positions", "64",
            "--seed", seed.ToString());
        if (code != 0) throw new InvalidOperationException("model init failed: " + output + errors);
        return folder;
    }

    public void Dispose() => Temp.Dispose();
}
