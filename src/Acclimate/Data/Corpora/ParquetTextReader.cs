using Acclimate.Errors;
using Parquet;
using Parquet.Schema;

namespace Acclimate.Data.Corpora;

/// <summary>One row of a Parquet text column: its 1-based row number in the file and its text (null for a null cell).</summary>
public readonly record struct ParquetTextRow(long Row, string? Text);

/// <summary>
/// Streams one string column of a Parquet file (a HuggingFace dataset's <c>train-00000-of-00004.parquet</c>,
/// say) through Parquet.Net, one row group at a time, so memory holds one row group's texts of that
/// column, never the file. Errors are <see cref="DataException"/>s naming the file: not a Parquet file,
/// no column of that name (the columns present are listed), a column that is not a string column
/// (its type is given), a row group that cannot be decoded (its number and first row).
/// </summary>
public static class ParquetTextReader
{
    /// <summary>True when <paramref name="path"/> ends in <c>.parquet</c> (case-insensitive).</summary>
    public static bool IsParquetName(string path) => path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The rows of column <paramref name="column"/>, in file order. The file is opened (and its schema
    /// checked) when enumeration starts and closed when it ends.
    /// </summary>
    public static IEnumerable<ParquetTextRow> ReadColumn(string path, string column)
    {
        ArgumentException.ThrowIfNullOrEmpty(column);
        if (!File.Exists(path))
            throw new DataException(Directory.Exists(path) ? $"{path}: is a folder; expected a Parquet file." : $"{path}: file not found.");
        return Iterate(path, column);
    }

    /// <summary>The names and types of a Parquet file's columns, e.g. <c>'text' (string), 'id' (int64)</c>.</summary>
    public static string DescribeColumns(string path)
    {
        var reader = Open(path, out var stream);
        try { return Describe(reader.Schema); }
        finally { Close(reader, stream); }
    }

    private static IEnumerable<ParquetTextRow> Iterate(string path, string column)
    {
        var reader = Open(path, out var stream);
        try
        {
            var field = FindStringColumn(reader.Schema, column, path);
            long row = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                string?[] texts;
                try
                {
                    using var group = reader.OpenRowGroupReader(g);
                    texts = new string?[checked((int)group.RowCount)];
                    group.ReadAsync(field, texts.AsMemory()).AsTask().GetAwaiter().GetResult();
                }
                catch (Exception e) when (e is not DataException and not OutOfMemoryException)
                {
                    throw new DataException($"{path}: row group {g} (from row {row + 1}): column '{column}' cannot be read ({e.Message}); the file is corrupt or truncated.", e);
                }
                foreach (var text in texts) yield return new ParquetTextRow(++row, text);
            }
        }
        finally { Close(reader, stream); }
    }

    private static ParquetReader Open(string path, out Stream stream)
    {
        stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try { return ParquetReader.CreateAsync(stream).GetAwaiter().GetResult(); }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            stream.Dispose();
            throw new DataException($"{path}: not a readable Parquet file ({e.Message}).", e);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static void Close(ParquetReader reader, Stream stream)
    {
        reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        stream.Dispose();
    }

    private static DataField FindStringColumn(ParquetSchema schema, string column, string path)
    {
        var field = schema.DataFields.FirstOrDefault(f => f.Name == column || f.Path.ToString() == column);
        if (field is null)
            throw new DataException($"{path}: no column '{column}'; the file's columns are {Describe(schema)}. Name the text column (data.text_field, --text-field).");
        if (!IsString(field) || field.IsArray)
            throw new DataException($"{path}: column '{column}' is {TypeName(field)}; expected a string column holding the document text.");
        return field;
    }

    private static bool IsString(DataField field) => field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>);

    private static string Describe(ParquetSchema schema)
    {
        var names = schema.DataFields.Select(f => $"'{f.Path}' ({TypeName(f)})").ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    private static string TypeName(DataField field)
    {
        var type = IsString(field) ? "string"
            : field.ClrType == typeof(ReadOnlyMemory<byte>) || field.ClrType == typeof(byte[]) ? "binary"
            : field.ClrType.Name.ToLowerInvariant();
        return field.IsArray ? $"a list of {type}" : type;
    }
}
