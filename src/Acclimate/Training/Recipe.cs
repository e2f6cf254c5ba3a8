using Acclimate.Checkpoints;
using Acclimate.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using Acclimate.IO;

namespace Acclimate.Training;

/// <summary>
/// A YAML recipe that fully describes a run. Each top-level key is a section (<c>training:</c>,
/// <c>model:</c>, <c>mlm:</c>…) that binds to an options record; a whole recipe binds to one record
/// whose properties are its sections with <see cref="Bind{T}"/> (the one binder every verb uses), a
/// single section with <see cref="Section{T}"/>. Keys are the records' property names
/// in snake_case; an unknown key fails naming the file, line and key and listing the valid keys.
/// <c>--set section.key=value</c> overrides (<see cref="Load"/>) are applied before binding, and
/// <see cref="Save"/> writes the resolved recipe (every option of every bound section, defaults
/// included) so the run folder alone reproduces the run.
/// </summary>
public sealed class Recipe
{
    private readonly YamlMappingNode _root;
    private readonly RecipeOrigins _origins;
    private readonly Dictionary<string, (Type Type, object? Value)> _boundSections = new(StringComparer.Ordinal);

    private Recipe(YamlMappingNode root, RecipeOrigins origins)
    {
        _root = root;
        _origins = origins;
    }

    /// <summary>The file the recipe came from (or the name given to <see cref="Parse"/>).</summary>
    public string Source => _origins.Source;

    /// <summary>Top-level keys, in file order (after overrides).</summary>
    public IReadOnlyList<string> SectionNames => _root.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "").ToList();

    /// <summary>An empty recipe: every section binds to its defaults.</summary>
    public static Recipe Empty(string sourceName = "(defaults)") => new(new YamlMappingNode(), new RecipeOrigins(sourceName));

    /// <summary>
    /// A recipe holding a typed record built in code (e.g. a <c>PretrainingRecipe</c> whose properties
    /// are the sections), as if it had been read from YAML: the runs bind and validate it the same
    /// way, and <see cref="ToYaml"/> writes what a file would have to say to produce it.
    /// </summary>
    public static Recipe From<T>(T value, string sourceName = "(code)") where T : class
    {
        ArgumentNullException.ThrowIfNull(value);
        if (RecipeBinder.ToNode(value, typeof(T)) is not YamlMappingNode root)
            throw new ArgumentException($"{typeof(T).Name} is not a record of sections.", nameof(value));
        return new Recipe(root, new RecipeOrigins(sourceName));
    }

    /// <summary>Reads <paramref name="path"/> and applies <paramref name="overrides"/> (<c>key.sub=value</c>, as given to <c>--set</c>).</summary>
    public static Recipe Load(string path, IEnumerable<string>? overrides = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new ConfigException($"{path}: recipe file not found.");
        string text;
        try { text = File.ReadAllText(path); }
        catch (IOException e) { throw new ConfigException($"{path}: recipe file could not be read ({e.Message}).", e); }
        return Parse(text, path, overrides);
    }

    /// <summary>Parses recipe text; <paramref name="sourceName"/> stands for the file in messages.</summary>
    public static Recipe Parse(string yaml, string sourceName, IEnumerable<string>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var origins = new RecipeOrigins(sourceName);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{sourceName}:{e.Start.Line}:{e.Start.Column}: not valid YAML ({Innermost(e).Message}).", e);
        }
        if (stream.Documents.Count > 1)
            throw new ConfigException($"{sourceName}: holds {stream.Documents.Count} YAML documents; a recipe is one.");
        YamlMappingNode root;
        if (stream.Documents.Count == 0 || IsEmpty(stream.Documents[0].RootNode)) root = new YamlMappingNode();
        else root = stream.Documents[0].RootNode as YamlMappingNode
            ?? throw new ConfigException($"{origins.Where(stream.Documents[0].RootNode)}: a recipe must be a mapping of sections (like 'training:'), not {stream.Documents[0].RootNode.NodeType}.");
        var recipe = new Recipe(root, origins);
        foreach (var text in overrides ?? Array.Empty<string>()) recipe.ApplyOverride(text);
        return recipe;
    }

    /// <summary>
    /// Binds section <paramref name="name"/> to <typeparamref name="T"/> (defaults when the section
    /// is absent), validating it when <typeparamref name="T"/> is <see cref="IValidatedOptions"/>.
    /// The result is remembered for <see cref="Save"/>.
    /// </summary>
    public T Section<T>(string name) where T : class, new() => (T)Section(typeof(T), name, defaults: null)!;

    /// <summary>
    /// Binds the whole recipe to <typeparamref name="T"/>, whose public settable properties are the
    /// sections (named like every key: snake_case of the property, see <see cref="SectionNamesOf{T}"/>):
    /// a top-level key that is none of them fails naming file:line:col and listing the sections, and
    /// each section is bound and validated as by <see cref="Section{T}"/>. An absent section takes the
    /// value <typeparamref name="T"/>'s initializer gives it (e.g. a demo's default forgetting control);
    /// a section the file gives starts from its type's defaults, and a record nested in it (a demo
    /// stage's <c>training:</c>) from the value the section gives it. A positional record is built
    /// through its primary constructor.
    /// </summary>
    public T Bind<T>() where T : class
    {
        var type = typeof(T);
        var sections = RecipeNames.Settable(type);
        RequireOnlySections(sections.Select(s => s.Key).ToArray());
        var defaults = type.GetConstructor(Type.EmptyTypes) is null ? null : Activator.CreateInstance(type);
        var values = new Dictionary<System.Reflection.PropertyInfo, object?>();
        foreach (var (key, property) in sections)
            values[property] = Section(property.PropertyType, key, defaults is null ? null : property.GetValue(defaults));
        return (T)RecipeBinder.Construct(type, values);
    }

    /// <summary>The top-level section names of a recipe bound with <see cref="Bind{T}"/>, in declaration order.</summary>
    public static IReadOnlyList<string> SectionNamesOf<T>() where T : class => RecipeNames.Settable(typeof(T)).Select(s => s.Key).ToArray();

    private object? Section(Type type, string name, object? defaults)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        object? value;
        if (_root.Children.TryGetValue(new YamlScalarNode(name), out var node) && !IsEmpty(node))
        {
            // A section the file gives starts from its type's defaults (the keys it lists are the whole story);
            // records nested inside it keep the section's own defaults for keys they do not give.
            value = RecipeBinder.BindValue(type, node, name, _origins, nullable: false);
        }
        else
        {
            value = defaults ?? (type.GetConstructor(Type.EmptyTypes) is not null ? Activator.CreateInstance(type) : null);
            if (value is IValidatedOptions validated) validated.EnsureValid($"{Source}: '{name}' (defaults)");
        }
        _boundSections[name] = (type, value);
        return value;
    }

    /// <summary>
    /// Fails naming file:line:col when the recipe still has <paramref name="path"/> (<c>section.key</c>,
    /// a key that was removed or moved), saying what to write instead; does nothing otherwise.
    /// </summary>
    public void RejectRetiredKey(string path, string instead)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        YamlNode node = _root;
        YamlNode? keyNode = null;
        foreach (var segment in path.Split('.'))
        {
            if (node is not YamlMappingNode mapping) return;
            keyNode = mapping.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: var v } && v == segment);
            if (keyNode is null) return;
            node = mapping.Children[keyNode];
        }
        throw new ConfigException($"{_origins.Where(keyNode!)}: '{path}' is no longer a recipe key: {instead}.");
    }

    /// <summary>Fails on any top-level key not in <paramref name="known"/> (call once every section the command reads is known).</summary>
    public void RequireOnlySections(params string[] known)
    {
        foreach (var keyNode in _root.Children.Keys)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            if (!known.Contains(key, StringComparer.Ordinal))
                throw new ConfigException($"{_origins.Where(keyNode)}: unknown section '{key}' (valid sections: {string.Join(", ", known)}).");
        }
    }

    /// <summary>
    /// The resolved recipe as YAML: bound sections with every option (defaults included), other
    /// sections as given (after overrides), in file order, then bound sections the file lacked.
    /// </summary>
    public string ToYaml()
    {
        var document = new YamlMappingNode();
        foreach (var (keyNode, valueNode) in _root.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            document.Add(new YamlScalarNode(key), _boundSections.TryGetValue(key, out var bound) ? RecipeBinder.ToNode(bound.Value, bound.Type) : valueNode);
        }
        foreach (var (key, bound) in _boundSections)
            if (!document.Children.ContainsKey(new YamlScalarNode(key)))
                document.Add(new YamlScalarNode(key), RecipeBinder.ToNode(bound.Value, bound.Type));
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(document)).Save(writer, assignAnchors: false);
        // YamlDotNet closes the document with "...": harmless, but a recipe reads better without it.
        var text = writer.ToString().TrimEnd();
        if (text.EndsWith("...", StringComparison.Ordinal)) text = text[..^3].TrimEnd();
        return text + "\n";
    }

    /// <summary>Writes <see cref="ToYaml"/> to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToYaml());

    private void ApplyOverride(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var equals = text.IndexOf('=');
        if (equals <= 0)
            throw new ConfigException($"--set {text}: expected key.sub=value (e.g. training.learning_rate=3e-5).");
        var path = text[..equals].Trim();
        var valueText = text[(equals + 1)..];
        var segments = path.Split('.');
        if (segments.Any(s => s.Length == 0))
            throw new ConfigException($"--set {text}: '{path}' has an empty key segment.");

        var mapping = _root;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            var key = new YamlScalarNode(segments[i]);
            if (!mapping.Children.TryGetValue(key, out var child) || IsEmpty(child))
            {
                child = new YamlMappingNode();
                _origins.MarkOverride(key, text);
                mapping.Children[key] = child;
                _origins.MarkOverride(child, text);
            }
            mapping = child as YamlMappingNode
                ?? throw new ConfigException($"--set {text}: '{string.Join('.', segments.Take(i + 1))}' is a value, not a section, in {Source}.");
        }
        var leafKey = new YamlScalarNode(segments[^1]);
        var value = ParseValue(valueText);
        _origins.MarkOverride(value, text);
        if (!mapping.Children.ContainsKey(leafKey)) _origins.MarkOverride(leafKey, text);
        else leafKey = (YamlScalarNode)mapping.Children.Keys.First(k => k.Equals(leafKey));
        mapping.Children[leafKey] = value;
        _origins.MarkOverride(leafKey, text);
    }

    /// <summary>The value of an override as YAML (so lists and quoted strings work); plain text when it is not valid YAML.</summary>
    private static YamlNode ParseValue(string text)
    {
        if (text.Trim().Length == 0) return new YamlScalarNode("") { Style = ScalarStyle.DoubleQuoted };
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 1) return stream.Documents[0].RootNode;
        }
        catch (YamlException)
        {
            // Text such as "a: b" that YAML would read as a mapping fragment is meant literally.
        }
        return new YamlScalarNode(text) { Style = ScalarStyle.DoubleQuoted };
    }

    private static bool IsEmpty(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s && (s.Value is null or "" or "~" or "null");

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
