using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Acclimate.Encoders;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.FineTuning.Tagging;
using Acclimate.OnnxRuntime;
using Acclimate.Serving;
using Acclimate.Tests.FineTuning;
using Acclimate.Tests.FineTuning.Tagging;

namespace Acclimate.Tests.Serving;

/// <summary>One real server on 127.0.0.1 (a free port) over a tiny random CRF tagger, shared by the tests of the class.</summary>
public sealed class TaggerServerFixture : IAsyncLifetime
{
    public TempFolder Temp { get; } = new();

    public string Folder { get; private set; } = "";

    public ModelServer Server { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Folder = TinyTaggerFolder.Create(Temp.File("tagger"), crf: true, seed: 7);
        Server = await ModelServer.StartAsync(new ServeOptions(Folder, "127.0.0.1", 0) { Backend = InferenceBackend.Torch, MaxBodyBytes = 4096, MaxTexts = 8, MaxTextChars = 300 });
        Client = new HttpClient { BaseAddress = Server.Address };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Temp.Dispose();
    }
}

public sealed class ModelServerTests : IClassFixture<TaggerServerFixture>
{
    private static readonly string[] Texts =
    {
        "John Smith flew from Paris to New York .",
        "Mary met Bob in Berlin yesterday",
        "Nothing to see here.",
        "Anna and Peter visited London, Rome and Madrid with John, Mary and their friends from Heidelberg last summer.",
        "Paris",
        "The United Nations met in Geneva on Tuesday .",
    };

    private readonly TaggerServerFixture _f;

    public ModelServerTests(TaggerServerFixture fixture) => _f = fixture;

    private async Task<(HttpStatusCode Status, JsonNode Json)> Post(string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _f.Client.PostAsync(path, content);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static string Body(params string[] texts) => new JsonObject { ["texts"] = new JsonArray(texts.Select(t => (JsonNode?)t).ToArray()) }.ToJsonString();

    /// <summary>What the library's predict gives, as the server writes it.</summary>
    private IReadOnlyList<string> Library(IReadOnlyList<string> texts)
    {
        using var tagger = TaggerEnsemble.Load(new[] { _f.Folder });
        return TextEntities.Predict(tagger, texts).Select(Canonical).ToArray();
    }

    private static string Canonical(IReadOnlyList<TextEntity> entities) =>
        string.Join("; ", entities.Select(e => $"{e.Type} {e.Start}-{e.End} '{e.Text}' {Math.Round(e.Confidence, 6):R}"));

    private static string Canonical(JsonNode result) =>
        string.Join("; ", result["entities"]!.AsArray().Select(e => $"{e!["type"]} {e["start"]}-{e["end"]} '{e["text"]}' {e["confidence"]!.GetValue<double>():R}"));

    [Fact]
    public async Task Predict_answers_the_entities_the_library_predicts_with_offsets_and_confidence()
    {
        var (status, json) = await Post("/v1/predict", Body(Texts));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("tagger", json["kind"]!.GetValue<string>());
        var results = json["results"]!.AsArray();
        Assert.Equal(Texts.Length, results.Count);
        var expected = Library(Texts);
        Assert.Contains(expected, e => e.Length > 0);   // the tiny model does find entities in some texts
        for (var i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(Texts[i], results[i]!["text"]!.GetValue<string>());
            Assert.Equal(expected[i], Canonical(results[i]!));
            foreach (var e in results[i]!["entities"]!.AsArray())
                Assert.Equal(Texts[i][e!["start"]!.GetValue<int>()..e["end"]!.GetValue<int>()], e["text"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Two_hundred_requests_from_sixteen_clients_are_all_answered_as_single_predictions_and_share_batches()
    {
        var expected = Library(Texts);
        var before = (await _f.Client.GetFromJsonNode("/healthz"))["batches"]!.GetValue<long>();
        var answers = new List<(int[] Which, HttpStatusCode Status, JsonNode Json)>();
        var clients = Enumerable.Range(0, 16).Select(c => Task.Run(async () =>
        {
            var mine = new List<(int[], HttpStatusCode, JsonNode)>();
            var rng = new Random(c);
            for (var r = c; r < 200; r += 16)
            {
                var which = Enumerable.Range(0, rng.Next(1, 4)).Select(_ => rng.Next(Texts.Length)).ToArray();
                var (status, json) = await Post("/v1/predict", Body(which.Select(w => Texts[w]).ToArray()));
                mine.Add((which, status, json));
            }
            return mine;
        })).ToArray();
        foreach (var list in await Task.WhenAll(clients)) answers.AddRange(list);
        Assert.Equal(200, answers.Count);
        foreach (var (which, status, json) in answers)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            var results = json["results"]!.AsArray();
            Assert.Equal(which.Length, results.Count);
            for (var k = 0; k < which.Length; k++) Assert.Equal(expected[which[k]], Canonical(results[k]!));
        }
        var batches = (await _f.Client.GetFromJsonNode("/healthz"))["batches"]!.GetValue<long>() - before;
        Assert.InRange(batches, 1, 199);   // concurrent requests shared model passes
    }

    [Theory]
    [InlineData("{\"texts\": [\"John\"", 400, null)]
    [InlineData("not json at all", 400, null)]
    [InlineData("{\"text\": \"John\"}", 400, null)]
    [InlineData("{\"texts\": []}", 400, null)]
    [InlineData("{\"texts\": [\"John\", \"  \"]}", 400, null)]
    [InlineData("{\"texts\": [\"John\", 3]}", 400, null)]
    [InlineData("{\"texts\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}", 413, "max_texts")]
    public async Task Bad_requests_are_answered_4xx_with_a_json_error(string body, int status, string? limit)
    {
        var (code, json) = await Post("/v1/predict", body);
        Assert.Equal(status, (int)code);
        Assert.False(string.IsNullOrWhiteSpace(json["error"]!.GetValue<string>()));
        Assert.Equal(limit, json["limit"]?.GetValue<string>());
    }

    [Fact]
    public async Task A_long_text_and_an_oversized_body_name_their_limits()
    {
        var (code, json) = await Post("/v1/predict", Body(new string('x', 301)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, code);
        Assert.Equal("max_text_chars", json["limit"]!.GetValue<string>());
        Assert.Equal(300, json["max"]!.GetValue<int>());
        Assert.Contains("max_text_chars = 300", json["error"]!.GetValue<string>());

        // Valid texts within their own limits, but 5000 bytes of JSON whitespace push the body over 4096.
        (code, json) = await Post("/v1/predict", Body("Paris") + new string(' ', 5000));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, code);
        Assert.Equal("max_body_bytes", json["limit"]!.GetValue<string>());
        Assert.Equal(4096, json["max"]!.GetValue<int>());

        // Chunked (no Content-Length): the limit is counted while reading.
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(Body("Paris") + new string(' ', 5000))));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/predict") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await _f.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("max_body_bytes", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["limit"]!.GetValue<string>());

        // The server still answers afterwards.
        Assert.Equal(HttpStatusCode.OK, (await Post("/v1/predict", Body("Paris"))).Status);
    }

    [Fact]
    public async Task Embed_on_a_tagger_says_to_use_predict()
    {
        var (code, json) = await Post("/v1/embed", Body("Paris"));
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Contains("/v1/predict", json["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Healthz_openapi_and_the_page_answer()
    {
        var health = await _f.Client.GetFromJsonNode("/healthz");
        Assert.Equal("ok", health["status"]!.GetValue<string>());
        Assert.Equal("tagger", health["kind"]!.GetValue<string>());
        Assert.Equal(TinyTaggerFolder.Labels, health["labels"]!.AsArray().Select(l => l!.GetValue<string>()));

        var openapi = await _f.Client.GetFromJsonNode("/openapi.json");
        Assert.StartsWith("3.", openapi["openapi"]!.GetValue<string>());
        var paths = openapi["paths"]!.AsObject().Select(p => p.Key).ToHashSet();
        Assert.Superset(new HashSet<string> { "/v1/predict", "/v1/embed", "/healthz", "/openapi.json", "/" }, paths);
        Assert.Equal(8, openapi["components"]!["schemas"]!["TextsRequest"]!["properties"]!["texts"]!["maxItems"]!.GetValue<int>());
        // Every $ref points at a schema that exists.
        var schemas = openapi["components"]!["schemas"]!.AsObject().Select(s => s.Key).ToHashSet();
        foreach (var r in System.Text.RegularExpressions.Regex.Matches(openapi.ToJsonString(), "#/components/schemas/(\\w+)").Select(m => m.Groups[1].Value))
            Assert.Contains(r, schemas);

        using var page = await _f.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<textarea", html);
        Assert.Contains("v1/predict", html);
        Assert.DoesNotContain("http://", html);    // self-contained: nothing fetched from elsewhere
        Assert.DoesNotContain("https://", html);
    }
}

public sealed class ModelServerLifecycleTests
{
    private static (System.Net.Sockets.TcpListener Listener, int Port) BusyPort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return (listener, ((IPEndPoint)listener.LocalEndpoint).Port);
    }

    [Fact]
    public async Task Stopping_lets_requests_in_flight_finish()
    {
        using var temp = new TempFolder();
        var folder = TinyTaggerFolder.Create(temp.File("tagger"), crf: false, seed: 5);
        // A long batch window keeps the requests queued in the worker when the stop begins.
        var server = await ModelServer.StartAsync(new ServeOptions(folder, "127.0.0.1", 0) { Backend = InferenceBackend.Torch, BatchWindow = TimeSpan.FromMilliseconds(400) });
        using var client = new HttpClient { BaseAddress = server.Address };
        var requests = Enumerable.Range(0, 6).Select(i => client.PostAsync("/v1/predict",
            new StringContent($"{{\"texts\": [\"John lives in Paris {i}\"]}}", Encoding.UTF8, "application/json"))).ToArray();
        await Task.Delay(150);
        var stop = server.DisposeAsync().AsTask();
        var responses = await Task.WhenAll(requests);
        await stop;
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync("/healthz"));
    }

    [Fact]
    public async Task An_encoder_folder_serves_normalised_embeddings_equal_to_the_embedder()
    {
        using var temp = new TempFolder();
        var encoder = temp.File("encoder");
        Assert.Equal(0, FineTuneCliFixture.Run(out var output, out var errors, "model", "init", "--tokenizer", TestPaths.Fixture("tokenizers", "bert-base-cased"),
            "--output", encoder, "--layers", "1", "--hidden", "16", "--heads", "2", "--intermediate", "32", "--max-positions", "64", "--seed", "3"));
        await using var server = await ModelServer.StartAsync(new ServeOptions(encoder, "127.0.0.1", 0) { Backend = InferenceBackend.Torch });
        Assert.Equal(ServedModelKind.Embedder, server.Kind);
        using var client = new HttpClient { BaseAddress = server.Address };
        var texts = new[] { "John lives in Paris.", "A second, longer sentence about nothing much." };
        using var response = await client.PostAsync("/v1/embed", new StringContent($"{{\"texts\": [\"{texts[0]}\", \"{texts[1]}\"]}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(16, json["dimension"]!.GetValue<int>());
        using var embedder = new SentenceEmbedder(encoder);
        var expected = embedder.Embed(texts);
        var got = json["embeddings"]!.AsArray().Select(v => v!.AsArray().Select(x => x!.GetValue<float>()).ToArray()).ToArray();
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(1.0, Math.Sqrt(got[i].Sum(x => (double)x * x)), 4);
            for (var d = 0; d < 16; d++) Assert.Equal(expected[i][d], got[i][d], 5);
        }
        using var predict = await client.PostAsync("/v1/predict", new StringContent("{\"texts\": [\"x\"]}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, predict.StatusCode);
    }

    [Fact]
    public async Task A_classifier_folder_answers_the_librarys_label_and_class_probabilities()
    {
        using var temp = new TempFolder();
        var folder = temp.File("classifier");
        var tokenizer = Acclimate.Tokenization.TokenizerLoader.FromFolder(TestPaths.Fixture("tokenizers", "bert-base-cased"));
        TorchSharp.torch.manual_seed(2);
        var config = Acclimate.Models.EncoderConfig.Create(Acclimate.Models.ModelType.Bert, tokenizer.VocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 24, maxPositions: 64)
            .WithLabels(new[] { "negative", "neutral", "positive" });
        using (var model = Acclimate.Models.ModelFactory.Create(config, Acclimate.Models.ModelTask.SequenceClassification))
        {
            Directory.CreateDirectory(folder);
            Acclimate.FineTuning.ClassifierFolder.Save(model, folder, tokenizer.SaveTo);
        }
        var info = new Acclimate.FineTuning.Classification.ClassificationModelInfo(32, Acclimate.FineTuning.TruncationStrategy.Head, 16);
        info.Save(folder);

        await using var server = await ModelServer.StartAsync(new ServeOptions(folder, "127.0.0.1", 0) { Backend = InferenceBackend.Torch });
        Assert.Equal(ServedModelKind.Classifier, server.Kind);
        using var client = new HttpClient { BaseAddress = server.Address };
        var texts = new[] { "A fine film.", "Terrible, long and loud; I left early." };
        using var response = await client.PostAsync("/v1/predict", new StringContent($"{{\"texts\": [\"{texts[0]}\", \"{texts[1]}\"]}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["results"]!.AsArray();

        using var classifier = Acclimate.FineTuning.ClassifierFolder.Load(folder);
        var options = info.ToModelOptions(folder);
        var inputs = texts.Select(t => Acclimate.FineTuning.Classification.ClassificationPredictor.Encode(tokenizer, new Acclimate.Data.Datasets.ClassificationExample(t, null, "", "", 0), options)).ToArray();
        var expected = Acclimate.FineTuning.Classification.ClassificationPredictor.Predict(classifier, inputs, classifier.Config.PadTokenId);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(config.Labels[expected[i].Label], results[i]!["label"]!.GetValue<string>());
            var probabilities = results[i]!["probabilities"]!.AsObject();
            Assert.Equal(config.Labels, probabilities.Select(p => p.Key));
            for (var l = 0; l < 3; l++) Assert.Equal(expected[i].Probabilities[l], probabilities[config.Labels[l]]!.GetValue<double>(), 5);
            Assert.Equal(1.0, probabilities.Sum(p => p.Value!.GetValue<double>()), 4);
        }
    }

    [Fact]
    public async Task A_missing_folder_or_a_bad_host_is_a_config_error()
    {
        await Assert.ThrowsAsync<Acclimate.Errors.ConfigException>(() => ModelServer.StartAsync(new ServeOptions("/nonexistent/model", "127.0.0.1", 0) { Backend = InferenceBackend.Torch }));
        using var temp = new TempFolder();
        await Assert.ThrowsAsync<Acclimate.Errors.ConfigException>(() => ModelServer.StartAsync(new ServeOptions(temp.Path, "not-a-host", 0) { Backend = InferenceBackend.Torch }));
        // A port already taken is named too.
        var taken = BusyPort();
        var busy = await Assert.ThrowsAsync<Acclimate.Errors.ConfigException>(() => ModelServer.StartAsync(new ServeOptions(TinyTaggerFolder.Create(temp.File("t"), crf: false), "127.0.0.1", taken.Port) { Backend = InferenceBackend.Torch }));
        Assert.Contains($"cannot listen on 127.0.0.1:{taken.Port}", busy.Message);
        taken.Listener.Stop();
        // The CLI verb reports it as bad input (exit 2), without a stack trace.
        Assert.Equal(2, FineTuneCliFixture.Run(out _, out var errors, "serve", "--model", "/nonexistent/model", "--port", "0"));
        Assert.Contains("--model /nonexistent/model: folder not found", errors);
        Assert.DoesNotContain("   at ", errors);
    }
}

internal static class HttpClientJson
{
    public static async Task<JsonNode> GetFromJsonNode(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
