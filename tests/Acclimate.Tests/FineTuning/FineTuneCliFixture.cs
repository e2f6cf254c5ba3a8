using System.Text;
using Acclimate.Cli;

namespace Acclimate.Tests.FineTuning;

/// <summary>
/// Tiny data and a tiny randomly initialized encoder (2 layers, hidden 16, bert-base-cased
/// vocabulary) for end-to-end CLI tests of finetune / evaluate / predict / ensemble.
/// </summary>
internal sealed class FineTuneCliFixture : IDisposable
{
    private static readonly string[] Sentences =
    {
        "John lives in Paris .|B-PER O O B-LOC O",
        "Mary visited London and Paris .|B-PER O B-LOC O B-LOC O",
        "The cat sat on the mat .|O O O O O O O",
        "Anna Smith flew to New York yesterday .|B-PER I-PER O O B-LOC I-LOC O O",
        "Paris is large .|B-LOC O O O",
        "Bob met Mary in Berlin .|B-PER O B-PER O B-LOC O",
        "Nothing happened here .|O O O O",
        // 22 words: longer than max_length 16, so training chunks it and prediction uses windows.
        "John and Mary and Anna and Bob went from Paris to London to Berlin to New York and back again today .|B-PER O B-PER O B-PER O B-PER O O B-LOC O B-LOC O B-LOC O B-LOC I-LOC O O O O O",
    };

    public FineTuneCliFixture()
    {
        Temp = new TempFolder();
        Conll = Temp.File("data.conll");
        File.WriteAllText(Conll, string.Join("\n\n", Sentences.Select(s =>
        {
            var parts = s.Split('|');
            var words = parts[0].Split(' ');
            var tags = parts[1].Split(' ');
            return string.Join("\n", words.Zip(tags, (w, t) => $"{w}\t{t}"));
        })) + "\n");
        Encoder = Temp.File("encoder");
        var code = Run(out var output, out var errors, "model", "init", "--tokenizer", TestPaths.Fixture("tokenizers", "bert-base-cased"),
            "--output", Encoder, "--layers", "2", "--hidden", "16", "--heads", "2", "--intermediate", "32", "--max-positions", "64", "--seed", "3");
        if (code != 0) throw new InvalidOperationException("model init failed: " + output + errors);
    }

    public TempFolder Temp { get; }

    public string Conll { get; }

    public string Encoder { get; }

    /// <summary>A recipe over the tiny data; <paramref name="extra"/> is appended YAML.</summary>
    public string Recipe(string name, string data = "", string model = "", string training = "", string extraSections = "")
    {
        var path = Temp.File(name + ".yaml");
        File.WriteAllText(path, $"""
            model:
              encoder: {Encoder}
              max_length: 16
              stride: 4
            {Indent(model)}
            data:
              train: {Conll}
              dev: {Conll}
              test: {Conll}
            {Indent(data)}
            training:
              learning_rate: 0.01
              epochs: 2
              batch_size: 4
              threads: 1
              log_every: 1
              seed: 1
            {Indent(training)}
            output:
              dir: {Temp.Path}
              name: {name}
            {extraSections}
            """);
        return path;
    }

    private static string Indent(string text) => string.Join("\n", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "  " + l.Trim()));

    public static int Run(out string output, out string errors, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CliApp.Run(args, stdout, stderr);
        output = stdout.ToString();
        errors = stderr.ToString();
        return code;
    }

    public void Dispose() => Temp.Dispose();
}
