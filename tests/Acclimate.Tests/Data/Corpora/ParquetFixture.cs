using Parquet;
using Parquet.Schema;

namespace Acclimate.Tests.Data.Corpora;

/// <summary>Writes tiny Parquet files for tests with Parquet.Net (the library the reader uses), so no binary fixture is committed.</summary>
internal static class ParquetFixture
{
    /// <summary>
    /// A file with a nullable string column <paramref name="textColumn"/>, an int64 column <c>id</c> (the row
    /// index) and a binary column <c>blob</c>, cut into row groups of <paramref name="rowGroupSize"/> rows.
    /// </summary>
    public static void WriteTexts(string path, IReadOnlyList<string?> texts, int rowGroupSize, string textColumn = "text")
    {
        var text = new DataField<string>(textColumn, true);
        var id = new DataField<long>("id");
        var blob = new DataField<byte[]>("blob");
        var schema = new ParquetSchema(text, id, blob);
        using var stream = File.Create(path);
        var writer = ParquetWriter.CreateAsync(schema, stream).GetAwaiter().GetResult();
        try
        {
            for (var start = 0; start < texts.Count; start += rowGroupSize)
            {
                var rows = texts.Skip(start).Take(rowGroupSize).ToList();
                using var group = writer.CreateRowGroup();
                group.WriteAsync(text, rows!).GetAwaiter().GetResult();
                group.WriteAsync<long>(id, Enumerable.Range(start, rows.Count).Select(i => (long)i).ToArray().AsMemory()).GetAwaiter().GetResult();
                group.WriteAsync(blob, rows.Select(_ => new byte[] { 1, 2 }).ToList()).GetAwaiter().GetResult();
            }
        }
        finally { writer.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }
}
