using Acclimate.Errors;
using Acclimate.Tokenization.Config;

namespace Acclimate.Tokenization.Pipeline;

/// <summary>Resolves the special tokens a folder declares (or the model family's defaults) against its vocabulary.</summary>
internal static class SpecialTokenResolver
{
    /// <summary>
    /// Looks up setting <paramref name="key"/> (e.g. "mask_token"), falling back to
    /// <paramref name="defaultContent"/>, and returns it as an added token with its id.
    /// </summary>
    public static AddedToken Resolve(TokenizerConfigFile config, string key, string defaultContent, bool defaultLStrip,
        Func<string, int?> lookup, string vocabDescription)
    {
        var declared = config.GetToken(key);
        string content = declared?.Content ?? defaultContent;
        int id = lookup(content)
            ?? throw new TokenizerException(
                $"{vocabDescription}: special token {key} \"{content}\" is not in the vocabulary; expected it there (declare another one in tokenizer_config.json).");
        return new AddedToken(content, id, declared?.LStrip ?? defaultLStrip, declared?.RStrip ?? false);
    }

    public static SpecialToken ToSpecial(AddedToken token) => new(token.Content, token.Id);
}
