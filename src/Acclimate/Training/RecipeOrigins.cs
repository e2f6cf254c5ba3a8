using YamlDotNet.RepresentationModel;

namespace Acclimate.Training;

/// <summary>
/// Where each node of a recipe came from, for error messages: the file with line and column, or
/// the <c>--set</c> override that put it there.
/// </summary>
internal sealed class RecipeOrigins
{
    private readonly Dictionary<YamlNode, string> _overrides = new(ReferenceEqualityComparer.Instance);

    public RecipeOrigins(string source) => Source = source;

    /// <summary>The recipe file (or the name given for text parsed from memory).</summary>
    public string Source { get; }

    /// <summary>Marks <paramref name="node"/> and everything under it as coming from <paramref name="overrideText"/>.</summary>
    public void MarkOverride(YamlNode node, string overrideText)
    {
        foreach (var n in node.AllNodes) _overrides[n] = overrideText;
    }

    /// <summary>"file:line:column", or "--set key=value" for a node an override created.</summary>
    public string Where(YamlNode node) =>
        _overrides.TryGetValue(node, out var text) ? "--set " + text : $"{Source}:{node.Start.Line}:{node.Start.Column}";
}
