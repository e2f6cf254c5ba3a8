using System.Diagnostics;
using System.Threading.Channels;
using Acclimate.Runtime;

namespace Acclimate.Serving;

/// <summary>
/// Micro-batching in front of the model. Requests queue on a channel; one dedicated thread — the
/// only one that touches the model and its TorchSharp tensors — takes the first waiting request,
/// keeps collecting for <see cref="ServeOptions.BatchWindow"/> (or until
/// <see cref="ServeOptions.MaxBatchTexts"/> texts are waiting), runs the model once over all their
/// texts, and answers each request with its own slice. The model is loaded, run and disposed on
/// that thread, with libtorch's thread count set there (<see cref="TorchRuntime.SetThreads"/> acts
/// on the calling thread), so the host process's other threads are left alone.
/// </summary>
internal sealed class ModelWorker : IAsyncDisposable
{
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ServeOptions _options;
    private readonly Thread _thread;
    private readonly TaskCompletionSource<ServedModel> _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _batches;
    private long _texts;

    private enum JobKind { Predict, Embed }

    private sealed record Job(JobKind Kind, IReadOnlyList<string> Texts, TaskCompletionSource<object[]> Answer);

    private readonly TextWriter? _log;

    private ModelWorker(ServeOptions options, TextWriter? log)
    {
        _options = options;
        _log = log;
        _thread = new Thread(Run) { IsBackground = true, Name = "acclimate-serve-model" };
    }

    /// <summary>Starts the worker thread and waits until it has loaded the model (a bad folder throws here).</summary>
    public static async Task<ModelWorker> StartAsync(ServeOptions options, TextWriter? log = null)
    {
        var worker = new ModelWorker(options, log);
        worker._thread.Start();
        var model = await worker._loaded.Task.ConfigureAwait(false);
        worker.Kind = model.Kind;
        worker.Labels = model.Labels;
        worker.Dimension = model.Dimension;
        worker.PlainTags = model.PlainTags;
        worker.Backend = model.Backend;
        return worker;
    }

    public ServedModelKind Kind { get; private set; }

    public IReadOnlyList<string> Labels { get; private set; } = Array.Empty<string>();

    public int? Dimension { get; private set; }

    public bool PlainTags { get; private set; }

    /// <summary>The engine running the model and why (for /healthz).</summary>
    public OnnxRuntime.BackendChoice Backend { get; private set; } = null!;

    /// <summary>Model passes so far, and the texts they carried (for /healthz: texts / batches is the mean batch).</summary>
    public (long Batches, long Texts) Counts => (Interlocked.Read(ref _batches), Interlocked.Read(ref _texts));

    /// <summary>The answers for <paramref name="texts"/>, from the next batch.</summary>
    public async Task<IReadOnlyList<Prediction>> PredictAsync(IReadOnlyList<string> texts) =>
        (await Enqueue(JobKind.Predict, texts).ConfigureAwait(false)).Cast<Prediction>().ToArray();

    /// <summary>The embeddings of <paramref name="texts"/>, from the next batch.</summary>
    public async Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts) =>
        (await Enqueue(JobKind.Embed, texts).ConfigureAwait(false)).Cast<float[]>().ToArray();

    private Task<object[]> Enqueue(JobKind kind, IReadOnlyList<string> texts)
    {
        var job = new Job(kind, texts, new TaskCompletionSource<object[]>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(job)) throw new InvalidOperationException("the model worker has stopped (the server is shutting down).");
        return job.Answer.Task;
    }

    private void Run()
    {
        ServedModel model;
        try
        {
            TorchRuntime.SetThreads(_options.Threads);
            model = ServedModel.Load(_options, _log);
        }
        catch (Exception e)
        {
            _loaded.SetException(e);
            return;
        }
        _loaded.SetResult(model);
        using (model)
        {
            var reader = _queue.Reader;
            var batch = new List<Job>();
            var watch = new Stopwatch();
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                batch.Clear();
                var texts = 0;
                watch.Restart();
                // Collect: whatever is waiting now, then whatever arrives within the window, up to the batch size.
                while (texts < _options.MaxBatchTexts)
                {
                    if (reader.TryRead(out var job)) { batch.Add(job); texts += job.Texts.Count; continue; }
                    var left = _options.BatchWindow - watch.Elapsed;
                    if (batch.Count > 0 && left <= TimeSpan.Zero) break;
                    if (batch.Count == 0) { if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) break; continue; }
                    using var timeout = new CancellationTokenSource(left);
                    try { if (!reader.WaitToReadAsync(timeout.Token).AsTask().GetAwaiter().GetResult()) break; }
                    catch (OperationCanceledException) { break; }
                }
                if (batch.Count == 0) continue;
                RunBatch(model, batch.Where(j => j.Kind == JobKind.Predict).ToList(), (m, t) => m.Predict(t).Cast<object>().ToArray());
                RunBatch(model, batch.Where(j => j.Kind == JobKind.Embed).ToList(), (m, t) => m.Embed(t).Cast<object>().ToArray());
            }
        }
    }

    // One model pass over the texts of all jobs; each job gets its own slice (or the pass's error).
    private void RunBatch(ServedModel model, List<Job> jobs, Func<ServedModel, IReadOnlyList<string>, object[]> run)
    {
        if (jobs.Count == 0) return;
        var texts = jobs.SelectMany(j => j.Texts).ToArray();
        try
        {
            var answers = run(model, texts);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _texts, texts.Length);
            var offset = 0;
            foreach (var job in jobs)
            {
                job.Answer.SetResult(answers[offset..(offset + job.Texts.Count)]);
                offset += job.Texts.Count;
            }
        }
        catch (Exception e)
        {
            foreach (var job in jobs) job.Answer.TrySetException(e);
        }
    }

    /// <summary>Stops taking requests, answers the queued ones, and waits for the thread (which disposes the model).</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_thread.IsAlive) await Task.Run(() => _thread.Join()).ConfigureAwait(false);
    }
}
