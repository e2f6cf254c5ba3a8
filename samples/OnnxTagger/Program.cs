using Microsoft.ML.OnnxRuntime;

namespace Acclimate.Samples;

/// <summary>
/// Tags text with an exported tagger on ONNX Runtime (no libtorch is loaded):
/// <c>dotnet run --project samples/OnnxTagger -- tagger.onnx run/best-model "text" ["text" …]</c>.
/// Prints one line per entity: TYPE, [start, end) character offsets, the entity's text, and its confidence
/// (the CRF's span marginal, or the product of softmax probabilities: what <c>acclimate predict</c> reports).
/// </summary>
public static class OnnxTagger
{
    /// <summary>Entry point; returns 0, or 2 on bad arguments.</summary>
    public static int Main(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: OnnxTagger <tagger.onnx> <model folder (tokenizer, tagging.json)> <text> [<text> …]");
            return 2;
        }
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var tagger = new OnnxEntityTagger(args[0], args[1], options);
        var texts = args[2..];
        var entities = tagger.Tag(texts);
        for (var i = 0; i < texts.Length; i++)
            foreach (var e in entities[i])
                Console.WriteLine($"{e.Type}\t[{e.Start}, {e.End})\t{e.Text}\t{e.Confidence.ToString("0.000000", System.Globalization.CultureInfo.InvariantCulture)}");
        return 0;
    }
}
