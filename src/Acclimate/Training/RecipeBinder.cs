using System.Collections;
using System.Globalization;
using System.Reflection;
using Acclimate.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Acclimate.Training;

/// <summary>
/// Turns YAML nodes into option records and back. Mappings bind to classes with a parameterless
/// constructor and settable (or init) properties; unknown keys, wrong types and invalid values are
/// <see cref="ConfigException"/>s naming the file, line and key (or the <c>--set</c> that caused them).
/// </summary>
internal static class RecipeBinder
{
    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>
    /// Binds a mapping to <paramref name="type"/>. Keys the mapping does not give keep the values of
    /// <paramref name="defaults"/> when it is given (the enclosing record's initializer, e.g. a demo
    /// stage's own <c>training:</c> defaults), else the type's own defaults; the same holds for nested
    /// sections.
    /// </summary>
    public static object Bind(Type type, YamlNode node, string path, RecipeOrigins origins, object? defaults = null)
    {
        if (node is not YamlMappingNode mapping)
            throw new ConfigException($"{origins.Where(node)}: '{path}' must be a mapping of keys to values (found {Describe(node)}).");
        if (type.GetConstructor(Type.EmptyTypes) is null)
            throw new InvalidOperationException($"{type.Name} cannot be bound from a recipe: it needs a public parameterless constructor (a record with init properties).");
        var target = (defaults is not null && defaults.GetType() == type ? CloneRecord(defaults) : null) ?? Activator.CreateInstance(type)!;
        var settable = RecipeNames.Settable(type);
        var byKey = settable.ToDictionary(s => s.Key, s => s.Property, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = keyNode is YamlScalarNode k ? k.Value ?? "" : "";
            var keyPath = path.Length == 0 ? key : path + "." + key;
            if (!byKey.TryGetValue(key, out var property))
                throw new ConfigException($"{origins.Where(keyNode)}: unknown key '{keyPath}'" +
                    $" (valid keys{(path.Length == 0 ? "" : " in '" + path + "'")}: {string.Join(", ", settable.Select(s => s.Key))}){MovedHint(settable, key, path)}.");
            if (!seen.Add(key))
                throw new ConfigException($"{origins.Where(keyNode)}: key '{keyPath}' is given twice.");
            var value = Convert(property.PropertyType, valueNode, keyPath, origins, IsNullable(property), property.GetValue(target));
            property.SetValue(target, value);
        }
        if (target is IValidatedOptions validated)
        {
            var problems = validated.Problems().ToList();
            if (problems.Count > 0)
            {
                var where = path.Length == 0 ? origins.Where(node) : $"{origins.Where(node)}: '{path}'";
                throw new ConfigException($"{where}: {string.Join("; ", problems)}.");
            }
        }
        return target;
    }

    /// <summary>
    /// A value of any bindable type (a section record, or a scalar, list or mapping) from its node;
    /// records keep the values of <paramref name="current"/> for keys the node does not give.
    /// </summary>
    public static object? BindValue(Type type, YamlNode node, string path, RecipeOrigins origins, bool nullable, object? current = null) =>
        Convert(type, node, path, origins, nullable, current);

    /// <summary>
    /// Builds a record of sections from bound values: through its parameterless constructor, or a
    /// positional record's primary constructor (parameters named as the properties), then the
    /// remaining properties.
    /// </summary>
    public static object Construct(Type type, IReadOnlyDictionary<PropertyInfo, object?> values)
    {
        object target;
        var byName = values.Keys.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        var assigned = new HashSet<PropertyInfo>();
        if (type.GetConstructor(Type.EmptyTypes) is not null) target = Activator.CreateInstance(type)!;
        else
        {
            var constructor = type.GetConstructors()
                .Where(c => c.GetParameters().All(p => p.Name is not null && byName.ContainsKey(p.Name)))
                .OrderByDescending(c => c.GetParameters().Length)
                .FirstOrDefault()
                ?? throw new InvalidOperationException($"{type.Name} cannot be bound from a recipe: it needs a parameterless constructor or one whose parameters are named as its section properties.");
            var arguments = constructor.GetParameters().Select(p => values[byName[p.Name!]]).ToArray();
            target = constructor.Invoke(arguments);
            foreach (var p in constructor.GetParameters()) assigned.Add(byName[p.Name!]);
        }
        foreach (var (property, value) in values)
            if (!assigned.Contains(property)) property.SetValue(target, value);
        return target;
    }

    /// <summary>A record's copy through its compiler-made clone method (null for a type that is not a record).</summary>
    private static object? CloneRecord(object value) =>
        value.GetType().GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes)?.Invoke(value, null);

    /// <summary>" — 'key' belongs in 'path.section'" when an unknown key is a key of one of the record's sub-sections (a key that moved down a level).</summary>
    private static string MovedHint(IReadOnlyList<(string Key, PropertyInfo Property)> settable, string key, string path)
    {
        var homes = settable
            .Where(s => IsRecord(s.Property.PropertyType) && RecipeNames.Settable(s.Property.PropertyType).Any(inner => inner.Key == key))
            .Select(s => path.Length == 0 ? s.Key : path + "." + s.Key)
            .ToList();
        return homes.Count == 0 ? "" : $"; '{key}' is a key of {string.Join(" or ", homes.Select(h => "'" + h + "'"))}: write it as {string.Join(" or ", homes.Select(h => h + "." + key))}";
    }

    private static bool IsRecord(Type type) =>
        type.IsClass && type != typeof(string) && !TryElementType(type, out _) && !TryDictionaryValueType(type, out _) && type.GetConstructor(Type.EmptyTypes) is not null;

    private static object? Convert(Type type, YamlNode node, string path, RecipeOrigins origins, bool nullable, object? current = null)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (IsNull(node))
        {
            if (underlying is not null || nullable) return null;
            throw new ConfigException($"{origins.Where(node)}: '{path}' must not be null (expected {TypeName(type)}).");
        }
        type = underlying ?? type;

        if (type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(decimal))
        {
            if (node is not YamlScalarNode scalar)
                throw new ConfigException($"{origins.Where(node)}: '{path}' expects {TypeName(type)}, found {Describe(node)}.");
            return ConvertScalar(type, scalar, path, origins);
        }
        if (TryElementType(type, out var elementType))
        {
            if (node is not YamlSequenceNode sequence)
                throw new ConfigException($"{origins.Where(node)}: '{path}' expects a list of {TypeName(elementType)}, found {Describe(node)}.");
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(elementType))!;
            var index = 0;
            foreach (var item in sequence.Children)
                list.Add(Convert(elementType, item, $"{path}[{index++}]", origins, nullable: false));
            if (type.IsArray)
            {
                var array = Array.CreateInstance(elementType, list.Count);
                list.CopyTo(array, 0);
                return array;
            }
            return list;
        }
        if (TryDictionaryValueType(type, out var valueType))
        {
            if (node is not YamlMappingNode map)
                throw new ConfigException($"{origins.Where(node)}: '{path}' expects a mapping, found {Describe(node)}.");
            var dict = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType), StringComparer.Ordinal)!;
            foreach (var (k, v) in map.Children)
            {
                var key = (k as YamlScalarNode)?.Value ?? throw new ConfigException($"{origins.Where(k)}: '{path}' keys must be plain text.");
                if (dict.Contains(key)) throw new ConfigException($"{origins.Where(k)}: key '{path}.{key}' is given twice.");
                dict[key] = Convert(valueType, v, path + "." + key, origins, nullable: false);
            }
            return dict;
        }
        return Bind(type, node, path, origins, current);
    }

    private static object ConvertScalar(Type type, YamlScalarNode scalar, string path, RecipeOrigins origins)
    {
        var text = scalar.Value ?? "";
        var invariant = CultureInfo.InvariantCulture;
        object? result = null;
        if (type == typeof(string)) return text;
        if (type == typeof(bool))
        {
            if (text.Equals("true", StringComparison.OrdinalIgnoreCase)) result = true;
            else if (text.Equals("false", StringComparison.OrdinalIgnoreCase)) result = false;
        }
        else if (type == typeof(int) && int.TryParse(text, NumberStyles.Integer, invariant, out var i)) result = i;
        else if (type == typeof(long) && long.TryParse(text, NumberStyles.Integer, invariant, out var l)) result = l;
        else if (type == typeof(double) && TryParseFloat(text, out var d)) result = d;
        else if (type == typeof(float) && TryParseFloat(text, out var f)) result = (float)f;
        else if (type == typeof(decimal) && decimal.TryParse(text, NumberStyles.Float, invariant, out var m)) result = m;
        else if (type.IsEnum)
        {
            var wanted = Normalize(text);
            var match = Enum.GetNames(type).FirstOrDefault(n => Normalize(n) == wanted);
            if (match is not null) return Enum.Parse(type, match);
            throw new ConfigException($"{origins.Where(scalar)}: '{path}' is '{text}'; expected one of {string.Join(", ", Enum.GetValues(type).Cast<Enum>().Select(RecipeNames.EnumValue))}.");
        }
        return result ?? throw new ConfigException($"{origins.Where(scalar)}: '{path}' is '{text}'; expected {TypeName(type)}.");
    }

    /// <summary>The YAML for <paramref name="value"/> of declared type <paramref name="type"/>: what a recipe would say to produce it.</summary>
    public static YamlNode ToNode(object? value, Type type)
    {
        if (value is null) return new YamlScalarNode("null") { Style = ScalarStyle.Plain };
        type = Nullable.GetUnderlyingType(type) ?? type;
        switch (value)
        {
            case string s: return new YamlScalarNode(s) { Style = ScalarStyle.DoubleQuoted };
            case bool b: return Plain(b ? "true" : "false");
            case Enum e: return Plain(RecipeNames.EnumValue(e));
            case double d: return Plain(FormatFloat(d));
            case float f: return Plain(FormatFloat(f));
            case IFormattable number when value.GetType().IsPrimitive || value is decimal: return Plain(number.ToString(null, CultureInfo.InvariantCulture));
        }
        if (TryDictionaryValueType(type, out var valueType) && value is IDictionary dict)
        {
            var map = new YamlMappingNode();
            foreach (DictionaryEntry entry in dict) map.Add(new YamlScalarNode((string)entry.Key), ToNode(entry.Value, valueType));
            return map;
        }
        if (TryElementType(type, out var elementType) && value is IEnumerable items)
        {
            var sequence = new YamlSequenceNode();
            foreach (var item in items) sequence.Add(ToNode(item, elementType));
            if (sequence.Children.All(c => c is YamlScalarNode)) sequence.Style = YamlDotNet.Core.Events.SequenceStyle.Flow;
            return sequence;
        }
        var mapping = new YamlMappingNode();
        foreach (var (key, property) in RecipeNames.Settable(value.GetType()))
            mapping.Add(new YamlScalarNode(key), ToNode(property.GetValue(value), property.PropertyType));
        return mapping;
    }

    private static YamlScalarNode Plain(string text) => new(text) { Style = ScalarStyle.Plain };

    private static string FormatFloat(double d) =>
        double.IsPositiveInfinity(d) ? ".inf" : double.IsNegativeInfinity(d) ? "-.inf" : double.IsNaN(d) ? ".nan" : d.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');

    private static bool TryParseFloat(string text, out double value)
    {
        switch (text)
        {
            case ".inf" or ".Inf" or ".INF" or "+.inf": value = double.PositiveInfinity; return true;
            case "-.inf" or "-.Inf" or "-.INF": value = double.NegativeInfinity; return true;
            case ".nan" or ".NaN" or ".NAN": value = double.NaN; return true;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    private static bool IsNullable(PropertyInfo property) =>
        Nullability.Create(property).WriteState == NullabilityState.Nullable;

    private static bool TryElementType(Type type, out Type elementType)
    {
        if (type.IsArray) { elementType = type.GetElementType()!; return true; }
        if (type.IsGenericType && type != typeof(string))
        {
            var definition = type.GetGenericTypeDefinition();
            if (definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(IReadOnlyList<>)
                || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyCollection<>) || definition == typeof(ICollection<>))
            {
                elementType = type.GetGenericArguments()[0];
                return true;
            }
        }
        elementType = typeof(object);
        return false;
    }

    private static bool TryDictionaryValueType(Type type, out Type valueType)
    {
        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            var args = type.GetGenericArguments();
            if ((definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>)) && args[0] == typeof(string))
            {
                valueType = args[1];
                return true;
            }
        }
        valueType = typeof(object);
        return false;
    }

    private static string Normalize(string text) => text.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();

    private static string TypeName(Type type) =>
        type == typeof(int) || type == typeof(long) ? "an integer"
        : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? "a number"
        : type == typeof(bool) ? "true or false"
        : type == typeof(string) ? "text"
        : type.IsEnum ? "one of " + string.Join(", ", Enum.GetValues(type).Cast<Enum>().Select(RecipeNames.EnumValue))
        : "a " + type.Name;

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => $"the value '{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => node.NodeType.ToString(),
    };
}
