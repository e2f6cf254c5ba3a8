using Acclimate.Models;
using Acclimate.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.Models;

/// <summary>
/// The test host crashed about one suite run in seven (SIGSEGV in libtorch's bump_version under
/// THSTensor_normal_). Cause: TorchSharp's <c>Embedding.weight</c> getter wraps the native tensor in
/// a new managed object on every call; nothing references that temporary once its handle has been
/// passed to native code, so a garbage collection during a long native call (normal_ over a
/// vocabulary-sized matrix) let the finalizer thread free the handle while libtorch was writing
/// through it. These tests make collections happen all the time, on another thread.
/// </summary>
public sealed class FinalizerSafetyTests
{
    public FinalizerSafetyTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void TheWordEmbeddingWeightIsTheRegisteredParameterNotAFreshWrapper()
    {
        using var model = ModelFactory.Create(EncoderConfig.Create(ModelType.Bert, 50, 8, 1, 2, 16), ModelTask.MaskedLM);
        var first = model.Encoder.Embeddings.WordEmbeddingWeight;
        Assert.Same(first, model.Encoder.Embeddings.WordEmbeddingWeight);
        Assert.Contains(model.parameters(), p => ReferenceEquals(p, first));
    }

    [Fact]
    public void InitializingWeightsSurvivesGarbageCollectionOnAnotherThread()
    {
        // Before the fix this took the process down within about 50 re-initializations.
        using var model = ModelFactory.Create(EncoderConfig.Create(ModelType.Bert, 30_000, 64, 1, 2, 128), ModelTask.MaskedLM);
        using var collector = new BackgroundCollector();
        for (var i = 0; i < 150; i++) model.InitializeWeights();
        using var _ = no_grad();
        var weight = model.Encoder.Embeddings.WordEmbeddingWeight;
        Assert.True(weight.isfinite().all().item<bool>());
        Assert.Equal(0.0, weight[model.Config.PadTokenId].abs().sum().item<float>());
        Assert.True(collector.Collections > 0, "the background thread never collected");
    }

    [Fact]
    public void TheTorchSharpAssemblyInUseIsWovenWithKeepAlives()
    {
        // build/KeepAliveWeaver marks the output copy it wove; an unwoven TorchSharp.dll means the
        // build step did not run and the implicit-Scalar race below is back.
        Assert.Contains("AcclimateKeepAliveWoven", typeof(torch).Assembly.GetManifestResourceNames());
    }

    [Fact]
    public void ImplicitScalarTemporariesSurviveGarbageCollectionOnAnotherThread()
    {
        // t.mul_(0.999) converts the double to a Scalar that only the call refers to. Unwoven, the
        // finalizer freed it mid-call within a few thousand operations ("Unknown scalar type" or a
        // c10 toFloat check failing in THSTensor_mul_scalar_ / add_scalar_ / fill_).
        using var t = zeros(1000, 1000);
        using (var collector = new BackgroundCollector())
        {
            for (var i = 0; i < 8000; i++)
            {
                t.fill_(1.0);
                t.mul_(0.999);
                t.add_(0.5);
            }
            Assert.True(collector.Collections > 0, "the background thread never collected");
        }
        Assert.Equal(1.4990001f, t[0, 0].item<float>(), 6);
    }

    /// <summary>Runs GC.Collect and the finalizers in a loop until disposed.</summary>
    private sealed class BackgroundCollector : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private int _collections;

        public BackgroundCollector()
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Interlocked.Increment(ref _collections);
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public int Collections => Volatile.Read(ref _collections);

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}
