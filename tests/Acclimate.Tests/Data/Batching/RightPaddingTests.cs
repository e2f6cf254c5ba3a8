using Acclimate.Data.Batching;

namespace Acclimate.Tests.Data.Batching;

public sealed class RightPaddingTests
{
    [Fact]
    public void RowsComeFirstThenTheFillAndTheMaskMarksTheRealPositions()
    {
        var rows = new IReadOnlyList<long>[] { new long[] { 5, 6, 7 }, new long[] { 8 }, new long[] { 9, 10 } };
        var width = RightPadding.Width(rows);
        Assert.Equal(3, width);
        Assert.Equal(new long[] { 5, 6, 7, 8, 0, 0, 9, 10, 0 }, RightPadding.Pad(rows, width, 0L));
        Assert.Equal(new long[] { 5, 6, 7, -1, 8, -1, -1, -1, 9, 10, -1, -1 }, RightPadding.Pad(rows, 4, -1L));
        Assert.Equal(new long[] { 1, 1, 1, 1, 0, 0, 1, 1, 0 }, RightPadding.Mask(new[] { 3, 1, 2 }, width));
        Assert.Throws<ArgumentException>(() => RightPadding.Pad(rows, 2, 0L));
        Assert.Throws<ArgumentException>(() => RightPadding.Mask(new[] { 3 }, 2));
        Assert.Equal(0, RightPadding.Width(Array.Empty<IReadOnlyList<long>>()));
    }
}
