using System.CommandLine;
using Acclimate.OnnxRuntime;
using Acclimate.Serving;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate serve --model DIR [--port 8080] [--host 127.0.0.1]</c>: an HTTP server over a tagger,
/// classifier or encoder folder until SIGTERM or Ctrl-C (see <see cref="ModelServer"/>).
/// </summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "Tagger or classifier folder written by `acclimate finetune` (best-model), or an encoder folder (embeddings).", Required = true };
        var host = new Option<string>("--host") { Description = "Address to bind; the default answers only this machine (loopback). 0.0.0.0 binds every interface.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free port, printed at start).", DefaultValueFactory = _ => 8080 };
        var threads = new Option<int>("--threads") { Description = "Threads of a forward pass (libtorch on the worker thread, or the ONNX Runtime session).", DefaultValueFactory = _ => 1 };
        var maxTexts = new Option<int>("--max-texts") { Description = "Most texts per request (more: 413).", DefaultValueFactory = _ => 64 };
        var maxChars = new Option<int>("--max-text-chars") { Description = "Longest text in characters (longer: 413).", DefaultValueFactory = _ => 10_000 };
        var maxBody = new Option<int>("--max-body-bytes") { Description = "Largest request body (larger: 413).", DefaultValueFactory = _ => 1 << 20 };
        var maxBatch = new Option<int>("--max-batch") { Description = "Most texts per model pass (micro-batching of concurrent requests).", DefaultValueFactory = _ => 32 };
        var window = new Option<double>("--batch-window-ms") { Description = "How long a batch waits for more requests after the first one.", DefaultValueFactory = _ => 5 };
        var device = CommonOptions.Device();
        var backend = CommonOptions.Backend();
        var cache = CommonOptions.OnnxCache();
        var command = new Command("serve", "Serve a model over HTTP: POST /v1/predict, POST /v1/embed, GET /healthz, GET /openapi.json, and a page at /.")
        {
            model, host, port, threads, maxTexts, maxChars, maxBody, maxBatch, window, device, backend, cache,
        };
        command.SetAction(result =>
        {
            var options = new ServeOptions(result.GetValue(model)!, result.GetValue(host)!, result.GetValue(port))
            {
                Threads = result.GetValue(threads),
                MaxTexts = result.GetValue(maxTexts),
                MaxTextChars = result.GetValue(maxChars),
                MaxBodyBytes = result.GetValue(maxBody),
                MaxBatchTexts = result.GetValue(maxBatch),
                BatchWindow = TimeSpan.FromMilliseconds(result.GetValue(window)),
                Device = result.GetValue(device),
                Backend = InferenceBackends.Parse(result.GetValue(backend)),
                CacheDirectory = result.GetValue(cache),
            };
            Run(options, output).GetAwaiter().GetResult();
            return 0;
        });
        return command;
    }

    private static async Task Run(ServeOptions options, TextWriter output)
    {
        await using var server = await ModelServer.StartAsync(options, output);
        output.Flush();
        await server.WaitForShutdownAsync();
        output.WriteLine("shutting down: finishing requests in flight");
        output.Flush();
    }
}
