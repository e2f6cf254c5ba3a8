using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.Tagging;
using Acclimate.OnnxRuntime;
using Acclimate.Serving;
using Acclimate.Tests.FineTuning;
using Acclimate.Tests.FineTuning.Tagging;
using Acclimate.Tests.OnnxRuntime;

namespace Acclimate.Tests.Serving;

/// <summary>
/// <c>serve</c> with its default backend (auto) on models that export: ONNX Runtime runs them,
/// /healthz says so, concurrent requests still share model passes, and every answer equals what
/// <c>predict</c> (the library on libtorch) gives, within 1e-4 on confidences and probabilities.
/// </summary>
public sealed class OnnxServingTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static StringContent Body(params string[] texts) =>
        new(new JsonObject { ["texts"] = new JsonArray(texts.Select(t => (JsonNode?)t).ToArray()) }.ToJsonString(), Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_tagger_served_on_onnx_runtime_answers_what_predict_gives_under_concurrency()
    {
        var folder = TinyTaggerFolder.Create(_temp.File("tagger"), crf: true, seed: 7);
        var texts = new[]
        {
            "John Smith flew from Paris to New York .",
            "Mary met Bob in Berlin yesterday",
            "Anna and Peter visited London, Rome and Madrid with John, Mary and their friends from Heidelberg last summer.",
            "The United Nations met in Geneva on Tuesday .",
        };
        IReadOnlyList<IReadOnlyList<TextEntity>> expected;
        using (var tagger = TaggerEnsemble.Load(new[] { folder })) expected = TextEntities.Predict(tagger, texts);

        var log = new StringWriter();
        await using var server = await ModelServer.StartAsync(new ServeOptions(folder, "127.0.0.1", 0) { CacheDirectory = _temp.File("cache"), BatchWindow = TimeSpan.FromMilliseconds(20) }, log);
        Assert.Equal("onnx", server.Backend.Backend);
        Assert.Contains("(onnx) on http://127.0.0.1:", log.ToString());
        using var client = new HttpClient { BaseAddress = server.Address };
        var health = JsonNode.Parse(await client.GetStringAsync("/healthz"))!;
        Assert.Equal("onnx", health["backend"]!.GetValue<string>());
        Assert.Equal("auto", health["backend_requested"]!.GetValue<string>());
        Assert.Contains("parity held", health["backend_reason"]!.GetValue<string>());

        // 48 single-text requests from 8 clients at once.
        var requests = Enumerable.Range(0, 48).Select(async i =>
        {
            using var response = await client.PostAsync("/v1/predict", Body(texts[i % texts.Length]));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (i, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
        });
        foreach (var (i, json) in await Task.WhenAll(requests))
        {
            var entities = json["results"]![0]!["entities"]!.AsArray();
            var want = expected[i % texts.Length];
            Assert.Equal(want.Count, entities.Count);
            for (var k = 0; k < want.Count; k++)
            {
                Assert.Equal(want[k].Type, entities[k]!["type"]!.GetValue<string>());
                Assert.Equal(want[k].Start, entities[k]!["start"]!.GetValue<int>());
                Assert.Equal(want[k].End, entities[k]!["end"]!.GetValue<int>());
                Assert.True(Math.Abs(want[k].Confidence - entities[k]!["confidence"]!.GetValue<double>()) <= 1e-4);
            }
        }
        var after = JsonNode.Parse(await client.GetStringAsync("/healthz"))!;
        Assert.Equal(48, after["texts"]!.GetValue<long>());
        Assert.True(after["batches"]!.GetValue<long>() < 48, "concurrent requests share model passes on ONNX Runtime too");
    }

    [Fact]
    public async Task A_classifier_and_an_encoder_served_on_onnx_runtime_match_the_library()
    {
        var classifier = TinyClassifier.Create(_temp.File("classifier"));
        var texts = new[] { "A fine film.", "Terrible, long and loud; I left early." };
        using var torch = InferenceModels.OpenPredictor(classifier, new InferenceOptions(InferenceBackend.Torch));
        var expected = torch.Predict(texts);
        await using (var server = await ModelServer.StartAsync(new ServeOptions(classifier, "127.0.0.1", 0) { CacheDirectory = _temp.File("cache") }))
        {
            Assert.Equal("onnx", server.Backend.Backend);
            using var client = new HttpClient { BaseAddress = server.Address };
            using var response = await client.PostAsync("/v1/predict", Body(texts));
            var results = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["results"]!.AsArray();
            for (var i = 0; i < texts.Length; i++)
            {
                Assert.Equal(expected[i].Label, results[i]!["label"]!.GetValue<string>());
                for (var l = 0; l < TinyClassifier.Labels.Length; l++)
                    Assert.True(Math.Abs(expected[i].Probabilities![l] - results[i]!["probabilities"]![TinyClassifier.Labels[l]]!.GetValue<double>()) <= 1e-4);
            }
        }

        var encoder = _temp.File("encoder");
        Assert.Equal(0, FineTuneCliFixture.Run(out _, out _, "model", "init", "--tokenizer", TestPaths.Fixture("tokenizers", "bert-base-cased"),
            "--output", encoder, "--layers", "1", "--hidden", "16", "--heads", "2", "--intermediate", "32", "--max-positions", "64", "--seed", "3"));
        using var embedder = new Acclimate.Encoders.SentenceEmbedder(encoder);
        var vectors = embedder.Embed(texts);
        await using (var server = await ModelServer.StartAsync(new ServeOptions(encoder, "127.0.0.1", 0) { CacheDirectory = _temp.File("cache") }))
        {
            Assert.Equal("onnx", server.Backend.Backend);
            using var client = new HttpClient { BaseAddress = server.Address };
            using var response = await client.PostAsync("/v1/embed", Body(texts));
            var got = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["embeddings"]!.AsArray();
            for (var i = 0; i < texts.Length; i++)
                for (var d = 0; d < 16; d++) Assert.True(Math.Abs(vectors[i][d] - got[i]![d]!.GetValue<float>()) <= 1e-4);
        }
    }
}
