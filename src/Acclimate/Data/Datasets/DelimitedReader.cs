using System.Text;
using Acclimate.Data.Corpora;
using Acclimate.Errors;

namespace Acclimate.Data.Datasets;

/// <summary>
/// Streams records of a delimited file. With quoting (RFC 4180): a field that starts with <c>"</c> runs
/// to the next lone <c>"</c>, <c>""</c> inside it is one quote, and it may hold separators and line
/// breaks. Without quoting every line is split on the separator as is. Blank lines are skipped. A
/// stray quote or an unterminated quoted field is an error naming the line.
/// </summary>
internal static class DelimitedReader
{
    /// <summary>Records of <paramref name="path"/>, header row included.</summary>
    public static IEnumerable<DelimitedRecord> Read(string path, char separator, bool quoting, int maxLineChars = TextLineReader.DefaultMaxLineChars)
    {
        var lines = TextLineReader.ReadLines(path, maxLineChars);
        return quoting ? Quoted(lines, path, separator, maxLineChars) : Plain(lines, separator);
    }

    private static IEnumerable<DelimitedRecord> Plain(IEnumerable<TextLine> lines, char separator)
    {
        foreach (var line in lines)
            if (line.Text.Length > 0) yield return new DelimitedRecord(line.Text.Split(separator), line.Number);
    }

    private static IEnumerable<DelimitedRecord> Quoted(IEnumerable<TextLine> lines, string path, char separator, int maxChars)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var inQuotes = false;
        var afterQuote = false; // a quoted field has closed; only a separator or the end of the record may follow
        var start = 0;
        var recordChars = 0;
        foreach (var line in lines)
        {
            if (!inQuotes)
            {
                if (line.Text.Length == 0) continue;
                start = line.Number;
                recordChars = 0;
            }
            else
            {
                field.Append('\n');
            }
            recordChars += line.Text.Length;
            if (recordChars > maxChars)
                throw new DataException($"{path}:{start}: record longer than {maxChars:N0} characters (an unclosed quote?); expected records up to the limit.");

            var text = line.Text;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (inQuotes)
                {
                    if (c != '"') field.Append(c);
                    else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else { inQuotes = false; afterQuote = true; }
                }
                else if (c == separator)
                {
                    fields.Add(field.ToString());
                    field.Clear();
                    afterQuote = false;
                }
                else if (afterQuote)
                {
                    throw new DataException($"{path}:{line.Number}: character '{c}' after a closing quote; expected '{Show(separator)}' or the end of the record.");
                }
                else if (c == '"')
                {
                    if (field.Length > 0)
                        throw new DataException($"{path}:{line.Number}: quote inside an unquoted field; expected the whole field in quotes with inner quotes doubled (\"\").");
                    inQuotes = true;
                }
                else field.Append(c);
            }
            if (inQuotes) continue;
            fields.Add(field.ToString());
            field.Clear();
            afterQuote = false;
            yield return new DelimitedRecord(fields.ToArray(), start);
            fields.Clear();
        }
        if (inQuotes) throw new DataException($"{path}:{start}: quoted field opened here is never closed; expected a closing '\"'.");
    }

    private static string Show(char separator) => separator == '\t' ? "\\t" : separator.ToString();
}
