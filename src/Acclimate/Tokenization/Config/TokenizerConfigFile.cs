using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Errors;

namespace Acclimate.Tokenization.Config;

/// <summary>
/// The settings a HuggingFace model folder declares in tokenizer_config.json (and, for special
/// token strings, special_tokens_map.json). Both files are optional; a present but malformed file is
/// an error naming the file.
/// </summary>
internal sealed class TokenizerConfigFile
{
    public const string FileName = "tokenizer_config.json";
    public const string SpecialTokensMapFileName = "special_tokens_map.json";

    private readonly JsonObject _config;
    private readonly JsonObject _specialTokensMap;
    private readonly string _configPath;
    private readonly string _specialTokensMapPath;

    private TokenizerConfigFile(JsonObject config, string configPath, JsonObject specialTokensMap, string specialTokensMapPath)
    {
        _config = config;
        _configPath = configPath;
        _specialTokensMap = specialTokensMap;
        _specialTokensMapPath = specialTokensMapPath;
    }

    /// <summary>A copy of tokenizer_config.json's object (empty when the file is absent), for rewriting on save.</summary>
    public JsonObject CloneConfig() => (JsonObject)_config.DeepClone();

    public string? TokenizerClass => GetString("tokenizer_class");

    public static TokenizerConfigFile Load(string folder)
    {
        string configPath = Path.Combine(folder, FileName);
        string mapPath = Path.Combine(folder, SpecialTokensMapFileName);
        return new TokenizerConfigFile(ReadObject(configPath), configPath, ReadObject(mapPath), mapPath);
    }

    private static JsonObject ReadObject(string path)
    {
        if (!File.Exists(path))
        {
            return new JsonObject();
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
            });
        }
        catch (JsonException e)
        {
            throw new TokenizerException(
                $"{path}: malformed JSON at line {(e.LineNumber ?? 0) + 1}, position {(e.BytePositionInLine ?? 0) + 1}: {e.Message}", e);
        }
        return node as JsonObject
            ?? throw new TokenizerException($"{path}: expected a JSON object at the top level, found {node?.GetValueKind().ToString() ?? "null"}.");
    }

    /// <summary>A boolean setting; null when absent or JSON null.</summary>
    public bool? GetBool(string key)
    {
        var node = _config[key];
        if (node is null)
        {
            return null;
        }
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            var kind => throw new TokenizerException($"{_configPath}: \"{key}\" must be true, false or null, found {kind}."),
        };
    }

    /// <summary>A string setting; null when absent or JSON null.</summary>
    public string? GetString(string key)
    {
        var node = _config[key];
        if (node is null)
        {
            return null;
        }
        return node.GetValueKind() == JsonValueKind.String
            ? node.GetValue<string>()
            : throw new TokenizerException($"{_configPath}: \"{key}\" must be a string, found {node.GetValueKind()}.");
    }

    /// <summary>
    /// A special token setting such as "mask_token", from tokenizer_config.json or else
    /// special_tokens_map.json: either a plain string or an AddedToken object {"content", "lstrip", "rstrip"}.
    /// </summary>
    public (string Content, bool? LStrip, bool? RStrip)? GetToken(string key)
    {
        if (_config[key] is { } fromConfig)
        {
            return ParseToken(fromConfig, key, _configPath);
        }
        if (_specialTokensMap[key] is { } fromMap)
        {
            return ParseToken(fromMap, key, _specialTokensMapPath);
        }
        return null;
    }

    private static (string, bool?, bool?) ParseToken(JsonNode node, string key, string path)
    {
        switch (node.GetValueKind())
        {
            case JsonValueKind.String:
                return (node.GetValue<string>(), null, null);
            case JsonValueKind.Object:
                var obj = node.AsObject();
                if (obj["content"] is not { } content || content.GetValueKind() != JsonValueKind.String)
                {
                    throw new TokenizerException($"{path}: \"{key}\" is an object without a string \"content\".");
                }
                return (content.GetValue<string>(), OptionalBool(obj, "lstrip", key, path), OptionalBool(obj, "rstrip", key, path));
            default:
                throw new TokenizerException($"{path}: \"{key}\" must be a string or an object with \"content\", found {node.GetValueKind()}.");
        }
    }

    private static bool? OptionalBool(JsonObject obj, string name, string key, string path)
    {
        var node = obj[name];
        return node?.GetValueKind() switch
        {
            null or JsonValueKind.Null => null,
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            var kind => throw new TokenizerException($"{path}: \"{key}.{name}\" must be a boolean, found {kind}."),
        };
    }
}
