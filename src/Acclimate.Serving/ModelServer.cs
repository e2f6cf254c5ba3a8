using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acclimate.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using Acclimate.OnnxRuntime;

namespace Acclimate.Serving;

/// <summary>
/// The HTTP server of <c>acclimate serve</c> (ASP.NET Core minimal API on Kestrel):
/// <c>POST /v1/predict</c>, <c>POST /v1/embed</c>, <c>GET /healthz</c>, <c>GET /openapi.json</c> and
/// <c>GET /</c> (a self-contained page that highlights entities). Requests go through
/// <see cref="ModelWorker"/>'s micro-batches. Bad requests get a JSON error
/// <c>{"error": …, "limit": name, "max": value}</c> (the last two when a limit was hit):
/// 400 for bad JSON, a missing or empty text, 413 for a body, text count or text length over its
/// limit. Shutdown (SIGTERM, Ctrl-C, <see cref="StopAsync"/>) stops taking connections, lets the
/// requests in flight finish (up to <see cref="ServeOptions.ShutdownTimeout"/>), then stops the worker.
/// </summary>
public sealed class ModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ModelWorker _worker;

    private ModelServer(WebApplication app, ModelWorker worker, ServeOptions options, Uri address)
    {
        _app = app;
        _worker = worker;
        Options = options;
        Address = address;
    }

    /// <summary>The settings the server runs with.</summary>
    public ServeOptions Options { get; }

    /// <summary>Where the server listens (with the real port when <see cref="ServeOptions.Port"/> was 0).</summary>
    public Uri Address { get; }

    /// <summary>What the served folder holds.</summary>
    public ServedModelKind Kind => _worker.Kind;

    /// <summary>The engine running the model (torch, onnx, onnx-int8) and why it was chosen.</summary>
    public BackendChoice Backend => _worker.Backend;

    /// <summary>Completes when the host stops (SIGTERM, Ctrl-C or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Loads the model (on its worker thread), binds and starts listening.</summary>
    /// <param name="options">Model folder, address and limits.</param>
    /// <param name="log">Where start-up and shutdown lines go (null: nowhere). ASP.NET's own logging is kept to warnings.</param>
    public static async Task<ModelServer> StartAsync(ServeOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // "localhost" is taken as 127.0.0.1: Kestrel cannot pick a free port (--port 0) for the name.
        var ip = options.Host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(options.Host, out var parsed) ? parsed
            : throw new ConfigException($"serve: --host {options.Host}: expected an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost.");
        var worker = await ModelWorker.StartAsync(options, log).ConfigureAwait(false);
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(ModelServer).Assembly.GetName().Name });
            builder.Logging.ClearProviders();
            builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
            builder.WebHost.ConfigureKestrel(k =>
            {
                // The handlers read at most MaxBodyBytes + 1 and answer 413 themselves, with the limit named;
                // Kestrel's own cap sits above that only as a backstop.
                k.Limits.MaxRequestBodySize = (long)options.MaxBodyBytes + 1024;
                k.AddServerHeader = false;
                k.Listen(ip, options.Port);
            });
            var app = builder.Build();
            Map(app, worker, options);
            try { await app.StartAsync().ConfigureAwait(false); }
            catch (IOException e)
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw new ConfigException($"serve: cannot listen on {options.Host}:{options.Port} ({e.Message}); is another server using the port? --port 0 picks a free one.", e);
            }
            var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var server = new ModelServer(app, worker, options, new Uri(bound.Replace("[::]", "[::1]", StringComparison.Ordinal)));
            log?.WriteLine($"serving {worker.Kind.ToString().ToLowerInvariant()} {options.Model} ({worker.Backend.Backend}) on {server.Address} (POST /v1/predict, POST /v1/embed, GET /healthz, GET /openapi.json, GET /); Ctrl-C or SIGTERM stops");
            return server;
        }
        catch
        {
            await worker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops listening, lets requests in flight finish, then stops the model's worker.</summary>
    public async Task StopAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _worker.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops (if still running) and releases the host and the model.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static void Map(WebApplication app, ModelWorker worker, ServeOptions options)
    {
        var page = ReadPage();
        app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        app.MapGet("/healthz", () =>
        {
            var (batches, texts) = worker.Counts;
            return Json(200, new JsonObject
            {
                ["status"] = "ok",
                ["kind"] = worker.Kind.ToString().ToLowerInvariant(),
                ["model"] = Path.GetFileName(Path.GetFullPath(options.Model).TrimEnd(Path.DirectorySeparatorChar)),
                ["labels"] = new JsonArray(worker.Labels.Select(l => (JsonNode?)l).ToArray()),
                ["backend"] = worker.Backend.Backend,
                ["backend_requested"] = worker.Backend.Requested,
                ["backend_reason"] = worker.Backend.Reason,
                ["batches"] = batches,
                ["texts"] = texts,
            });
        });
        app.MapGet("/openapi.json", () => Results.Text(OpenApiDocument.Build(worker.Kind, options).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), "application/json"));
        app.MapPost("/v1/predict", async (HttpContext context) =>
        {
            if (worker.Kind == ServedModelKind.Embedder)
                return Error(400, $"this server holds an encoder without a task head ({options.Model}); use POST /v1/embed.");
            var (texts, error) = await ReadTexts(context.Request, options).ConfigureAwait(false);
            if (error is not null) return error;
            IReadOnlyList<Prediction> predictions;
            try { predictions = await worker.PredictAsync(texts!).ConfigureAwait(false); }
            catch (AcclimateException e) { return Error(400, e.Message); }
            var results = new JsonArray();
            for (var i = 0; i < texts!.Count; i++)
            {
                var p = predictions[i];
                var result = new JsonObject { ["text"] = texts[i] };
                if (p.Entities is not null)
                    result[worker.PlainTags ? "tokens" : "entities"] = new JsonArray(p.Entities.Select(e => (JsonNode?)new JsonObject
                    {
                        [worker.PlainTags ? "tag" : "type"] = e.Type, ["start"] = e.Start, ["end"] = e.End, ["text"] = e.Text,
                        ["confidence"] = Math.Round(e.Confidence, 6),
                    }).ToArray());
                else
                {
                    result["label"] = p.Label;
                    result["probabilities"] = new JsonObject(p.Probabilities!.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(kv.Value, 6))));
                }
                results.Add(result);
            }
            return Json(200, new JsonObject { ["kind"] = worker.Kind.ToString().ToLowerInvariant(), ["results"] = results });
        });
        app.MapPost("/v1/embed", async (HttpContext context) =>
        {
            if (worker.Kind != ServedModelKind.Embedder)
                return Error(400, $"this server holds a {worker.Kind.ToString().ToLowerInvariant()} ({options.Model}); /v1/embed needs an encoder folder (e.g. from `acclimate model fetch`). Use POST /v1/predict.");
            var (texts, error) = await ReadTexts(context.Request, options).ConfigureAwait(false);
            if (error is not null) return error;
            IReadOnlyList<float[]> vectors;
            try { vectors = await worker.EmbedAsync(texts!).ConfigureAwait(false); }
            catch (AcclimateException e) { return Error(400, e.Message); }
            return Json(200, new JsonObject
            {
                ["dimension"] = worker.Dimension,
                ["embeddings"] = new JsonArray(vectors.Select(v => (JsonNode?)new JsonArray(v.Select(x => (JsonNode?)x).ToArray())).ToArray()),
            });
        });
    }

    /// <summary>The request's texts (<c>{"texts": ["…", …]}</c>), or the error to answer.</summary>
    private static async Task<(IReadOnlyList<string>? Texts, IResult? Error)> ReadTexts(HttpRequest request, ServeOptions options)
    {
        if (request.ContentLength is long declared && declared > options.MaxBodyBytes)
            return (null, Error(413, $"request body of {declared} bytes is over the limit max_body_bytes = {options.MaxBodyBytes}.", "max_body_bytes", options.MaxBodyBytes));
        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(chunk).ConfigureAwait(false)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > options.MaxBodyBytes)
                    return (null, Error(413, $"request body is over the limit max_body_bytes = {options.MaxBodyBytes}.", "max_body_bytes", options.MaxBodyBytes));
            }
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Error(413, $"request body is over the limit max_body_bytes = {options.MaxBodyBytes}.", "max_body_bytes", options.MaxBodyBytes));
        }
        JsonNode? root;
        try { root = JsonNode.Parse(body); }
        catch (JsonException e)
        {
            return (null, Error(400, $"the body is not valid JSON ({e.Message}); expected {{\"texts\": [\"…\"]}}."));
        }
        if (root is not JsonObject obj || obj["texts"] is not JsonArray array)
            return (null, Error(400, "expected a JSON object with an array \"texts\" of strings, e.g. {\"texts\": [\"John lives in Paris.\"]}."));
        if (array.Count == 0) return (null, Error(400, "\"texts\" is empty; send at least one text."));
        if (array.Count > options.MaxTexts)
            return (null, Error(413, $"{array.Count} texts is over the limit max_texts = {options.MaxTexts} per request.", "max_texts", options.MaxTexts));
        var texts = new string[array.Count];
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonValue value || !value.TryGetValue<string>(out var text))
                return (null, Error(400, $"texts[{i}] is not a string."));
            if (string.IsNullOrWhiteSpace(text)) return (null, Error(400, $"texts[{i}] is empty; every text needs at least one non-blank character."));
            if (text.Length > options.MaxTextChars)
                return (null, Error(413, $"texts[{i}] has {text.Length} characters, over the limit max_text_chars = {options.MaxTextChars}.", "max_text_chars", options.MaxTextChars));
            texts[i] = text;
        }
        return (texts, null);
    }

    private static IResult Error(int status, string message, string? limit = null, long? max = null)
    {
        var json = new JsonObject { ["error"] = message };
        if (limit is not null) { json["limit"] = limit; json["max"] = max; }
        return Json(status, json);
    }

    // Relaxed escaping: entity texts and messages keep their characters (the answer is JSON, never inlined in HTML).
    private static readonly JsonSerializerOptions Output = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static IResult Json(int status, JsonNode json) => Results.Text(json.ToJsonString(Output), "application/json", statusCode: status);

    private static string ReadPage()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Acclimate.Serving.index.html")
            ?? throw new InvalidOperationException("the page resource is missing from Acclimate.Serving");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
