using Acclimate.Checkpoints;
using Acclimate.Models;
using Acclimate.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Tests.Adaptation.Augmentation;

/// <summary>
/// A tiny BERT masked LM made in the test (2 layers, hidden 16, a 20-word vocabulary) whose MLM bias
/// is set so its preferences are known: the fragment "##s" and the special [SEP] score highest (and
/// must never be proposed), then "dog", then "cat", everything else far below. The random weights
/// (N(0, 0.02)) move logits by far less than the bias gaps.
/// </summary>
internal sealed class TinyMaskedLm : IDisposable
{
    public static readonly string[] Vocabulary =
        { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "dog", "sat", "on", "mat", "##s", "red", "blue", ",", ".", "john", "paris", "in", "lives" };

    public TinyMaskedLm(bool withHead = true)
    {
        Temp = new TempFolder();
        Folder = Temp.File("mlm");
        Directory.CreateDirectory(Folder);
        File.WriteAllLines(Path.Combine(Folder, "vocab.txt"), Vocabulary);
        File.WriteAllText(Path.Combine(Folder, "tokenizer_config.json"), "{\"do_lower_case\": true, \"tokenizer_class\": \"BertTokenizer\"}");
        Tokenizer = TokenizerLoader.FromFolder(Folder);
        var config = EncoderConfig.Create(ModelType.Bert, Vocabulary.Length, 16, 2, 2, 32, maxPositions: 32);
        manual_seed(11);
        using var model = ModelFactory.Create(config, withHead ? ModelTask.MaskedLM : ModelTask.Base);
        if (withHead)
        {
            var bias = new float[Vocabulary.Length];
            bias[Array.IndexOf(Vocabulary, "##s")] = 30;
            bias[Array.IndexOf(Vocabulary, "[SEP]")] = 25;
            bias[Array.IndexOf(Vocabulary, "dog")] = 20;
            bias[Array.IndexOf(Vocabulary, "cat")] = 15;
            using var _ = no_grad();
            var parameter = model.named_parameters().Single(p => p.name.EndsWith("predictions.bias", StringComparison.Ordinal)).parameter;
            using var values = tensor(bias);
            parameter.copy_(values);
        }
        PretrainedModel.Save(model, Folder, Tokenizer.SaveTo);
    }

    public TempFolder Temp { get; }

    public string Folder { get; }

    public ITextTokenizer Tokenizer { get; }

    public void Dispose() => Temp.Dispose();
}
