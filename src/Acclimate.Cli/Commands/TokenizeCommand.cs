using System.CommandLine;
using Acclimate.Tokenization;

namespace Acclimate.Cli.Commands;

/// <summary>
/// <c>acclimate tokenize --model DIR --input cases.jsonl --output out.jsonl</c>: encodes every
/// {"text", "text_pair"} line with the model folder's tokenizer and writes HF-style encodings, one
/// JSON object per line (ids, tokens, code point and UTF-16 offsets, type ids, sequence ids,
/// special-token mask) in the golden.jsonl format.
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "Model folder holding the tokenizer files.", Required = true };
        var input = new Option<string>("--input") { Description = "JSONL file, one {\"text\", \"text_pair\"} object per line.", Required = true };
        var outputPath = new Option<string>("--output") { Description = "JSONL file to write, one encoding per input line.", Required = true };
        var maxLength = new Option<int?>("--max-length") { Description = "Truncate every encoding to this many tokens, special tokens included." };
        var truncation = new Option<string>("--truncation")
        {
            Description = "Which sequence --max-length shortens: longest_first (default), only_first or only_second.",
            DefaultValueFactory = _ => "longest_first",
        };
        truncation.AcceptOnlyFromAmong("longest_first", "only_first", "only_second");
        var side = new Option<string>("--truncation-side")
        {
            Description = "Which end --max-length cuts: right (default) or left.",
            DefaultValueFactory = _ => "right",
        };
        side.AcceptOnlyFromAmong("right", "left");
        var noSpecialTokens = new Option<bool>("--no-special-tokens") { Description = "Do not add [CLS]/[SEP] (or <s>/</s>)." };
        var command = new Command("tokenize", "Tokenize a JSONL file of texts (or text pairs) exactly as HuggingFace tokenizers would.")
        {
            model,
            input,
            outputPath,
            maxLength,
            truncation,
            side,
            noSpecialTokens,
        };
        command.SetAction(parseResult =>
        {
            var tokenizer = TokenizerLoader.FromFolder(parseResult.GetValue(model)!);
            string inputFile = parseResult.GetValue(input)!;
            string outputFile = parseResult.GetValue(outputPath)!;
            var options = new EncodeOptions
            {
                AddSpecialTokens = !parseResult.GetValue(noSpecialTokens),
                MaxLength = parseResult.GetValue(maxLength),
                Truncation = parseResult.GetValue(truncation) switch
                {
                    "only_first" => TruncationStrategy.OnlyFirst,
                    "only_second" => TruncationStrategy.OnlySecond,
                    _ => TruncationStrategy.LongestFirst,
                },
                TruncationSide = parseResult.GetValue(side) == "left" ? TruncationSide.Left : TruncationSide.Right,
            };
            int count = TokenizationJob.Run(tokenizer, options, inputFile, outputFile);
            output.WriteLine($"Tokenized {count} line(s) of {inputFile} with the {tokenizer.Kind} tokenizer into {outputFile}.");
            return 0;
        });
        return command;
    }
}
