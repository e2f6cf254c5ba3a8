using Acclimate.Bench;

// Benchmarks print a table to stdout. Usage: dotnet run -c Release --project bench/Acclimate.Bench -- [entry] [options]
// Like the acclimate CLI, the benchmark is a host application that opts in to retaining freed native
// memory (Acclimate.Runtime.NativeAllocator); ACCLIMATE_MALLOC=system measures glibc's defaults.
var mallocTuned = Environment.GetEnvironmentVariable("ACCLIMATE_MALLOC") != "system" && Acclimate.Runtime.NativeAllocator.RetainFreedMemory();
Console.Error.WriteLine(mallocTuned ? "malloc: freed memory retained (NativeAllocator.RetainFreedMemory)" : "malloc: the C library's defaults");
var entry = args.Length > 0 ? args[0] : "train-throughput";
var rest = args.Skip(1).ToArray();
switch (entry)
{
    case "train-throughput":
        return TrainThroughputBench.Run(rest);
    case "brown-vocab":
        return BrownVocab.Run(rest);
    case "pretrain":
        return PretrainBench.Run(rest);
    case "brown-table":
        return BrownTable.Run(rest);
    case "pos-probe":
        return PosProbe.Run(rest);
    case "speed":
        return SpeedBench.Run(rest);
    case "onnx-parity":
        return OnnxBench.Parity(rest);
    case "onnx-speed":
        return OnnxBench.Speed(rest);
    case "embed-backends":
        return EmbedBackendsBench.Run(rest);
    case "knn-select":
        return KnnSelectionBench.Run(rest);
    case "matmul":
        foreach (var threads in new[] { 1, 2 })
        {
            TorchSharp.torch.set_num_threads(threads);
            foreach (var n in new[] { 384, 1024 })
                Console.WriteLine($"threads {threads} n {n}: fp32 {MatmulRate.MeasureGflops(n):F1} GFLOP/s, bf16 {MatmulRate.MeasureGflops(n, dtype: TorchSharp.torch.ScalarType.BFloat16):F1} GFLOP/s");
        }
        return 0;
    case "list":
        Console.WriteLine("speed              issue 10's table: fine-tuning (linear, CRF) and MLM pretraining on the MiniLM shape, fp32 and bf16, MFU, kernel share, RSS, and the PyTorch peer");
        Console.WriteLine("knn-select         kNN selection over a 1M-document pool cached on disk (.npy): time, peak RSS, exact check; --model DIR --texts FILE adds the embedding rate");
        Console.WriteLine("onnx-parity        a tagger on libtorch vs its ONNX exports (fp32, int8) on a whole CoNLL test set: entity lists, F1, max |Δ emissions| (bench/onnx-deploy.sh)");
        Console.WriteLine("onnx-speed         tagging and embedding sentences/s at batch 1 and 32: libtorch fp32/bf16, ONNX Runtime fp32/int8 (bench/onnx-deploy.sh)");
        Console.WriteLine("embed-backends     `acclimate embed` documents/s at batch 1 and 32: --backend torch vs the default auto (ONNX Runtime fp32), first-use cost, agreement (--model DIR --texts FILE)");
        Console.WriteLine("matmul             fp32 and bf16 matmul GFLOP/s at 1 and 2 threads");
        Console.WriteLine("train-throughput   forward+backward tokens/s of a BERT-mini-like model, with the machine's fp32 matmul rate and MFU");
        Console.WriteLine("pretrain           MLM pretraining tokens/s and MFU (4×256 BERT), tokenize seconds per epoch and RSS over 1,000 updates (--corpus FILE --tokenizer DIR)");
        Console.WriteLine("pos-probe          fine-tune an encoder briefly on Brown POS tagging and print held-out word accuracy (--model DIR)");
        Console.WriteLine("brown-table        markdown table of pretraining runs' forgetting reports (RUN_FOLDER…)");
        Console.WriteLine("brown-vocab        train a WordPiece vocabulary on corpus files (--out DIR --vocab-size N FILE…)");
        return 0;
    default:
        Console.Error.WriteLine($"unknown bench entry '{entry}' (try 'list')");
        return 2;
}
