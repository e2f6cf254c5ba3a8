using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tests.Training;
using Acclimate.Training;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Acclimate.Tests.Runtime;

/// <summary>
/// Issue 24 changed how bf16 autocast moves tensors between fp32 and bf16: query, key, value and
/// attention's context stay bf16 instead of going to fp32 and straight back. Three training steps of
/// tiny BERT and ALBERT MLM models — dropout on, a padded row, AdamW with weight decay, clipping —
/// must give the same loss bits and parameter bits as before: in one process against the old
/// arithmetic (<see cref="Autocast.WithFp32RoundTrips"/>), and against the values main produced before
/// the change (2b94e3a, recorded by running this test there) on the CPU they were recorded on.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class PrecisionGoldenTests
{
    private readonly ITestOutputHelper _output;

    public PrecisionGoldenTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureInitialized();
    }

    /// <summary>Dropping the exact round trips changes no bit of a bf16 run.</summary>
    [Theory]
    [InlineData(ModelType.Bert, ComputePrecision.Bf16)]
    [InlineData(ModelType.Albert, ComputePrecision.Bf16)]
    public void LeavingOutTheRoundTripsChangesNoBit(ModelType family, ComputePrecision precision)
    {
        var (losses, hash) = Train(family, precision);
        (uint[] Losses, ulong Hash) old;
        using (Autocast.WithFp32RoundTrips()) old = Train(family, precision);
        _output.WriteLine($"{family} {precision}: losses {Hex(losses)} (with the round trips {Hex(old.Losses)}); parameter hash 0x{hash:X16} (0x{old.Hash:X16})");
        Assert.Equal(old.Losses, losses);
        Assert.Equal(old.Hash, hash);
    }

    /// <summary>
    /// The bits main produced before issue 24 (2b94e3a), asserted on the CPU they were recorded on
    /// (an AMD EPYC with AVX512-BF16, 2 torch threads, which the test sets: GEMM libraries pick kernels,
    /// and so summation orders, by CPU and thread count). On another CPU the run is checked to repeat
    /// itself bit for bit instead.
    /// </summary>
    [Theory]
    [InlineData(ModelType.Bert, ComputePrecision.Fp32, new[] { 0x40783EF9u, 0x40784B62u, 0x4079015Fu }, 0xA508BAB67325FFA9UL)]
    [InlineData(ModelType.Bert, ComputePrecision.Bf16, new[] { 0x40783E0Bu, 0x40784773u, 0x40790348u }, 0x585B27F57E9D38A7UL)]
    [InlineData(ModelType.Albert, ComputePrecision.Fp32, new[] { 0x408092D7u, 0x4074BF2Du, 0x40779B0Au }, 0x2ABCBA6D42A53E34UL)]
    [InlineData(ModelType.Albert, ComputePrecision.Bf16, new[] { 0x408094C7u, 0x4074B960u, 0x40779D1Au }, 0xB2E334E576627FCAUL)]
    public void ThreeTrainingStepsReproduceTheBitsRecordedBeforeTheChange(ModelType family, ComputePrecision precision, uint[] lossBits, ulong parameterHash)
    {
        var previous = get_num_threads();
        TorchRuntime.SetThreads(2);   // as recorded (the thread count is per OS thread: see TorchRuntime.SetThreads)
        try { Check(family, precision, lossBits, parameterHash); }
        finally { TorchRuntime.SetThreads(previous); }
    }

    private void Check(ModelType family, ComputePrecision precision, uint[] lossBits, ulong parameterHash)
    {
        var (losses, hash) = Train(family, precision);
        _output.WriteLine($"{family} {precision}, {get_num_threads()} threads: losses {Hex(losses)}; parameter hash 0x{hash:X16}");
        if (RecordedOnThisCpu())
        {
            Assert.Equal(lossBits, losses);
            Assert.Equal(parameterHash, hash);
        }
        else
        {
            _output.WriteLine("not the CPU the values were recorded on: checking that the run repeats itself instead");
            var again = Train(family, precision);
            Assert.Equal(losses, again.Losses);
            Assert.Equal(hash, again.Hash);
        }
    }

    private static bool RecordedOnThisCpu()
    {
        if (!File.Exists("/proc/cpuinfo")) return false;
        var lines = File.ReadLines("/proc/cpuinfo").Take(40).ToArray();
        var model = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) ?? "";
        var flags = lines.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) ?? "";
        return model.TrimEnd().EndsWith(": AMD EPYC", StringComparison.Ordinal) && flags.Contains(" avx512_bf16") && !flags.Contains(" amx_bf16");
    }

    private static string Hex(uint[] bits) => string.Join(", ", bits.Select(b => $"0x{b:X8}u"));

    private static (uint[] Losses, ulong Hash) Train(ModelType family, ComputePrecision precision)
    {
        manual_seed(11);
        var config = EncoderConfig.Create(family, vocabSize: TinyModels.Vocab, hiddenSize: 32, numLayers: 2, numHeads: 4,
            intermediateSize: 48, maxPositions: 32);
        using var model = ModelFactory.Create(config, ModelTask.MaskedLM);
        model.train();
        using var optimizer = AdamWOptimizer.Create(model, new AdamWSettings(1e-3) { WeightDecay = 0.01 });
        var rows = TinyModels.Sequences(4, 7);
        var losses = new uint[3];
        for (var step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            manual_seed(100 + step);   // the dropout masks
            var batch = TinyModels.MlmBatch(rows, step, 5);
            using (var firstRow = batch.AttentionMask!.narrow(0, 0, 1))
            using (var paddedTail = firstRow.narrow(1, 6, 4))
                paddedTail.zero_();
            optimizer.ZeroGrad();
            Tensor loss;
            using (Autocast.Enter(precision)) loss = model.Forward(batch).Loss!;
            losses[step] = BitConverter.SingleToUInt32Bits(loss.item<float>());
            loss.backward();
            optimizer.ClipGradNormOnDevice(1.0);
            optimizer.Step();
        }
        return (losses, ParameterHash(model));
    }

    /// <summary>FNV-1a over the bits of every parameter, in state-dict order.</summary>
    private static ulong ParameterHash(nn.Module model)
    {
        var hash = 14695981039346656037UL;
        foreach (var (name, parameter) in model.named_parameters())
        {
            foreach (var c in name) hash = (hash ^ c) * 1099511628211UL;
            using var flat = parameter.detach().reshape(-1);
            foreach (var value in flat.data<float>().ToArray())
                hash = (hash ^ BitConverter.SingleToUInt32Bits(value)) * 1099511628211UL;
        }
        return hash;
    }
}
