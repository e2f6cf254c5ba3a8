using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Tests.IO;

public sealed class NpyMatrixFileTests
{
    private static float[] Expected() => Enumerable.Range(0, 12).Select(i => (float)(i / 7.0)).ToArray();

    [Fact]
    public void WritesTheBytesNumPyWrites()
    {
        using var temp = TestPaths.NewTempFolder();
        var path = temp.File("m.npy");
        using (var writer = NpyMatrixFile.Create(path, rows: 3, columns: 4))
        {
            var values = Expected();
            writer.Append(values.AsSpan(0, 4));
            writer.Append(values.AsSpan(4, 8));
            writer.Commit();
        }
        Assert.Equal(File.ReadAllBytes(TestPaths.Fixture("npy", "c-order-3x4.npy")), File.ReadAllBytes(path));
    }

    [Fact]
    public void ReadsNumPysFileInBlocksWithAShortLastBlock()
    {
        using var reader = NpyMatrixFile.Open(TestPaths.Fixture("npy", "c-order-3x4.npy"));
        Assert.Equal((3L, 4), (reader.Rows, reader.Columns));
        var seen = new List<float>();
        var sizes = new List<int>();
        foreach (var (values, rows) in reader.Blocks(2))
        {
            sizes.Add(rows);
            seen.AddRange(values.Take(rows * 4));
        }
        Assert.Equal(new[] { 2, 1 }, sizes);
        Assert.Equal(Expected(), seen);
    }

    [Theory]
    [InlineData("fortran-3x4.npy", "fortran_order")]
    [InlineData("float64-3x4.npy", "'<f8'")]
    [InlineData("vector-5.npy", "two-dimensional")]
    public void RefusesWhatItCannotStreamNamingTheFile(string fixture, string expected)
    {
        var e = Assert.Throws<DataException>(() => NpyMatrixFile.Open(TestPaths.Fixture("npy", fixture)).Dispose());
        Assert.Contains(fixture, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ACutShortFileOrAnotherFormatIsAClearError()
    {
        using var temp = TestPaths.NewTempFolder();
        var bytes = File.ReadAllBytes(TestPaths.Fixture("npy", "c-order-3x4.npy"));
        File.WriteAllBytes(temp.File("cut.npy"), bytes[..^4]);
        var e = Assert.Throws<DataException>(() => NpyMatrixFile.Open(temp.File("cut.npy")).Dispose());
        Assert.Contains("cut short", e.Message);
        File.WriteAllText(temp.File("text.npy"), "rows,columns\n");
        e = Assert.Throws<DataException>(() => NpyMatrixFile.Open(temp.File("text.npy")).Dispose());
        Assert.Contains("not a .npy file", e.Message);
    }

    [Fact]
    public void NothingAppearsUntilEveryRowIsWrittenAndCommitted()
    {
        using var temp = TestPaths.NewTempFolder();
        var path = temp.File("m.npy");
        using (var writer = NpyMatrixFile.Create(path, rows: 3, columns: 4))
        {
            writer.Append(Expected().AsSpan(0, 8));
            Assert.Throws<InvalidOperationException>(() => writer.Commit());
        }
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.EnumerateFiles(temp.Path));   // the temporary file is gone too
        using (NpyMatrixFile.Create(path, rows: 3, columns: 4)) { }   // killed before the end: disposed uncommitted
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.EnumerateFiles(temp.Path));
    }
}
