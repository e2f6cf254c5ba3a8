using Acclimate.Tests.FineTuning;

namespace Acclimate.Tests.Samples;

/// <summary>samples/TagEntities, run as a user would, on the tiny fine-tuning fixture.</summary>
public sealed class TagEntitiesSampleTests
{
    [Fact]
    public void TheSampleFineTunesATaggerAndPrintsEntitiesWithOffsetsIntoTheText()
    {
        using var fixture = new FineTuneCliFixture();
        const string text = "John flew from Paris to New York.";
        var output = new StringWriter();
        var original = Console.Out;
        int code;
        try
        {
            Console.SetOut(output);
            code = Acclimate.Samples.TagEntities.Main(new[] { fixture.Encoder, fixture.Conll, fixture.Conll, text, "2" });
        }
        finally
        {
            Console.SetOut(original);
        }
        Assert.Equal(0, code);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("best model: ", lines[0]);
        Assert.True(Directory.Exists(lines[0]["best model: ".Length..lines[0].IndexOf(" (dev F1", StringComparison.Ordinal)]));
        foreach (var line in lines.Skip(1))
        {
            // TYPE \t [start, end) \t text — the offsets must cut exactly that text out of the input.
            var parts = line.Split('\t');
            Assert.Contains(parts[0], new[] { "PER", "LOC" });
            var span = parts[1].Trim('[', ')').Split(", ").Select(int.Parse).ToArray();
            Assert.Equal(text[span[0]..span[1]], parts[2]);
        }
    }
}
