using System.CommandLine;
using System.Globalization;
using System.Text;
using Acclimate.Errors;
using Acclimate.Evaluation;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate metrics seqeval</c>: scores a JSONL file of NER cases with the seqeval-equal metrics
/// and writes each line back with <c>report</c> and <c>accuracy</c> (see <see cref="SeqevalCaseFile"/>).
/// </summary>
internal static class MetricsCommand
{
    public static Command Create(TextWriter output)
    {
        var metrics = new Command("metrics", "Compute evaluation metrics.");
        metrics.Subcommands.Add(CreateSeqeval(output));
        return metrics;
    }

    private static Command CreateSeqeval(TextWriter output)
    {
        var input = new Option<string>("--input")
        {
            Description = "JSONL file, one case per line: y_true, y_pred (lists of sentences of tags), mode (\"default\"|\"strict\"), scheme (strict: IOB1, IOB2, IOE1, IOE2, IOBES, BILOU).",
            Required = true,
        };
        var outputFile = new Option<string?>("--output")
        {
            Description = "Write each line back here with \"report\" (seqeval classification_report dict, NaN as \"NaN\") and \"accuracy\". Without it (and without --check/--table) the lines go to standard output.",
        };
        var check = new Option<bool>("--check")
        {
            Description = "Compare with the \"report\" and \"accuracy\" already in each line (tolerance 1e-6, NaN equals NaN); exit 1 if any differs.",
        };
        var table = new Option<bool>("--table")
        {
            Description = "Print a text table per case.",
        };
        var command = new Command("seqeval", "Entity-level precision/recall/F1 equal to Python seqeval 1.2.2 (default and strict mode).")
        {
            input, outputFile, check, table,
        };
        command.SetAction(parseResult =>
            Run(parseResult.GetValue(input)!, parseResult.GetValue(outputFile), parseResult.GetValue(check), parseResult.GetValue(table), output));
        return command;
    }

    private static int Run(string inputPath, string? outputPath, bool check, bool table, TextWriter output)
    {
        var toStdout = outputPath is null && !check && !table;
        string? temporary = null;
        StreamWriter? file = null;
        if (outputPath is not null)
        {
            // Written beside the target and renamed at the end, so a bad line leaves no partial file.
            temporary = $"{outputPath}.tmp-{Environment.ProcessId}";
            file = new StreamWriter(temporary, false, new UTF8Encoding(false)) { NewLine = "\n" };
        }
        var cases = 0;
        var mismatches = 0;
        try
        {
            foreach (var c in SeqevalCaseFile.Read(inputPath))
            {
                cases++;
                var report = SeqevalCaseFile.Evaluate(c, inputPath);
                if (file is not null || toStdout)
                {
                    var line = PythonJson.Serialize(SeqevalCaseFile.WithResults(c, report));
                    if (file is not null) file.WriteLine(line);
                    else output.WriteLine(line);
                }
                if (table)
                {
                    output.WriteLine($"{inputPath}:{c.Line}{(c.Id is null ? "" : " " + c.Id)} ({Describe(report)})");
                    output.WriteLine(MetricsTable.Format(report));
                }
                if (check)
                {
                    var differences = SeqevalCaseFile.Differences(c, report);
                    if (differences.Count > 0)
                    {
                        mismatches++;
                        output.WriteLine($"{inputPath}:{c.Line}{(c.Id is null ? "" : " " + c.Id)}: {string.Join("; ", differences)}");
                    }
                }
            }
            if (file is not null)
            {
                file.Dispose();
                file = null;
                File.Move(temporary!, outputPath!, overwrite: true);
                temporary = null;
                output.WriteLine($"wrote {cases} reports to {outputPath}");
            }
        }
        finally
        {
            file?.Dispose();
            if (temporary is not null && File.Exists(temporary)) File.Delete(temporary);
        }
        if (!check) return 0;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{cases - mismatches}/{cases} cases match the report in {inputPath} (tolerance 1e-6)"));
        return mismatches == 0 ? 0 : 1;
    }

    private static string Describe(SeqevalReport report) =>
        report.Mode == SeqevalMode.Strict ? $"strict {report.Scheme}" : "default";
}
