using System.CommandLine;
using Acclimate.Data.Corpora;

namespace Acclimate.Cli.Commands;

/// <summary>
/// How a corpus path is read, the same three options on every verb that takes one (<c>data cache</c>,
/// <c>data stats</c>, <c>eval-mlm</c>, <c>vocab</c>): <c>--format</c>, <c>--mode</c> and
/// <c>--text-field</c>, turned into the library's <see cref="CorpusOptions"/>.
/// </summary>
internal sealed class CorpusFileOptions
{
    public Option<string> Format { get; } = new("--format")
    {
        Description = "auto (by extension: .jsonl, .parquet, else text; .gz of either), text, jsonl or parquet.",
        DefaultValueFactory = _ => "auto",
    };

    public Option<string> Mode { get; } = new("--mode")
    {
        Description = "Plain text: line (one document per line), blank-line or file.",
        DefaultValueFactory = _ => "line",
    };

    public Option<string> TextField { get; } = new("--text-field")
    {
        Description = "JSONL field or Parquet column holding the text.",
        DefaultValueFactory = _ => "text",
    };

    public CorpusFileOptions()
    {
        Format.AcceptOnlyFromAmong("auto", "text", "jsonl", "parquet");
        Mode.AcceptOnlyFromAmong("line", "blank-line", "file");
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Format);
        command.Options.Add(Mode);
        command.Options.Add(TextField);
    }

    public CorpusOptions Read(ParseResult result) => new()
    {
        Mode = result.GetValue(Mode) switch { "blank-line" => DocumentMode.BlankLine, "file" => DocumentMode.File, _ => DocumentMode.Line },
        Format = result.GetValue(Format) switch { "text" => CorpusFormat.Text, "jsonl" => CorpusFormat.Jsonl, "parquet" => CorpusFormat.Parquet, _ => CorpusFormat.Auto },
        TextField = result.GetValue(TextField)!,
    };
}
