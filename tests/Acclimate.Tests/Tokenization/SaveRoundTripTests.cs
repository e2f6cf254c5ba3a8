using System.Text.Json.Nodes;
using Acclimate.Tokenization;

namespace Acclimate.Tests.Tokenization;

/// <summary>SaveTo writes a folder that loads back into an identical tokenizer.</summary>
public sealed class SaveRoundTripTests
{
    [Theory]
    [InlineData("bert-base-cased", "vocab.txt")]
    [InlineData("roberta-base", "vocab.json")]
    [InlineData("albert-base-v2", "spiece.model")]
    public void SavedFolderReloadsWithIdenticalEncodings(string model, string vocabFile)
    {
        var original = TokenizerLoader.FromFolder(TokenizerFixtures.ModelDir(model));
        using var dir = new TempFolder();
        original.SaveTo(dir.Path);

        Assert.True(File.Exists(dir.File(vocabFile)));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
        var config = JsonNode.Parse(File.ReadAllText(dir.File("tokenizer_config.json")))!.AsObject();
        var map = JsonNode.Parse(File.ReadAllText(dir.File("special_tokens_map.json")))!.AsObject();
        Assert.Equal(original.MaskToken, MaskContent(map["mask_token"]!));
        Assert.Equal(512, config["model_max_length"]!.GetValue<int>()); // settings we do not own are kept

        var reloaded = TokenizerLoader.FromFolder(dir.Path);
        Assert.Equal(original.Kind, reloaded.Kind);
        Assert.Equal(original.VocabSize, reloaded.VocabSize);
        foreach (var g in TokenizerFixtures.ReadGolden(model))
        {
            var encoded = reloaded.Encode(g.Text, g.TextPair);
            Assert.Null(GoldenComparison.FirstDifference(g, encoded));
        }
    }

    [Fact]
    public void SavedSettingsAreHonouredOnReload()
    {
        // bert-base-cased keeps case; its saved config must say so or the reloaded tokenizer would lower-case.
        var cased = TokenizerLoader.FromFolder(TokenizerFixtures.ModelDir("bert-base-cased"));
        using var dir = new TempFolder();
        cased.SaveTo(dir.Path);
        var config = JsonNode.Parse(File.ReadAllText(dir.File("tokenizer_config.json")))!.AsObject();
        Assert.False(config["do_lower_case"]!.GetValue<bool>());
        Assert.Equal("Hello", TokenizerLoader.FromFolder(dir.Path).Encode("Hello").Tokens[1]);
    }

    private static string MaskContent(JsonNode node) =>
        node is JsonObject o ? o["content"]!.GetValue<string>() : node.GetValue<string>();
}
