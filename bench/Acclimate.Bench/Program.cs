using Acclimate.Bench;

// Benchmarks print a table to stdout. Usage: dotnet run -c Release --project bench/Acclimate.Bench -- [entry] [options]
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
    case "list":
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
