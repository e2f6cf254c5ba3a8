using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Adaptation.Augmentation;

/// <summary>
/// <see cref="IMaskedWordPredictor"/> over a masked language model folder (BERT, RoBERTa, ALBERT,
/// ELECTRA generator; e.g. the output of <c>acclimate pretrain</c>). Each masked word, however many
/// pieces it has, becomes one mask token, and only whole-word vocabulary entries
/// (<see cref="WholeWordVocabulary"/>) are proposed, so a word is always replaced by a word.
/// Sentences longer than the model's positions are cut; masked words beyond the cut get no proposal.
/// </summary>
public sealed class MaskedLmWordPredictor : IMaskedWordPredictor, IDisposable
{
    private readonly MaskedLmModel _model;
    private readonly ITextTokenizer _tokenizer;
    private readonly WholeWordVocabulary _vocabulary;
    private readonly Tensor _notWord;   // [vocab] bool: true where an id is not a whole word
    private readonly Device _device;
    private bool _ownsModel;   // true when Load made the model

    /// <summary>Wraps a loaded model and its tokenizer (the predictor owns neither).</summary>
    public MaskedLmWordPredictor(MaskedLmModel model, ITextTokenizer tokenizer, Device? device = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _device = device ?? CPU;
        _vocabulary = new WholeWordVocabulary(tokenizer);
        var vocab = model.Config.VocabSize;
        var notWord = Enumerable.Repeat(true, vocab).ToArray();
        foreach (var id in _vocabulary.Ids)
            if (id < vocab) notWord[id] = false;
        _notWord = tensor(notWord, device: _device);
        _notWord.DetachFromDisposeScope();
    }

    /// <summary>
    /// Loads <paramref name="folder"/> with its MLM head. A folder without one (a bare encoder such as
    /// all-MiniLM-L6-v2) is refused: a freshly initialized head proposes random words.
    /// </summary>
    public static MaskedLmWordPredictor Load(string folder, string? device = null)
    {
        TorchRuntime.EnsureInitialized();
        var resolved = TorchRuntime.ResolveDevice(device);
        var tokenizer = TokenizerLoader.FromFolder(folder);
        var (model, report) = PretrainedModel.Load(folder, ModelTask.MaskedLM);
        var head = report.MissingKeys.Where(k => !k.StartsWith(model.BackboneName + ".", StringComparison.Ordinal)).ToArray();
        if (head.Length > 0)
        {
            model.Dispose();
            throw new CheckpointException($"{folder}: the checkpoint has no masked-LM head (missing {string.Join(", ", head.Take(3))}); " +
                                          "contextual substitution needs one: give an MLM checkpoint, e.g. the model folder of 'acclimate pretrain' (whose head warm-up fits one to an encoder-only checkpoint).");
        }
        if (tokenizer.VocabSize > model.Config.VocabSize)
        {
            model.Dispose();
            throw new CheckpointException($"{folder}: the tokenizer has {tokenizer.VocabSize} ids but the model's vocab_size is {model.Config.VocabSize}.");
        }
        model.to(resolved);
        model.eval();
        return new MaskedLmWordPredictor((MaskedLmModel)model, tokenizer, resolved) { _ownsModel = true };
    }

    /// <summary>The model's whole-word vocabulary.</summary>
    public WholeWordVocabulary Vocabulary => _vocabulary;

    /// <inheritdoc />
    public IReadOnlyList<IReadOnlyList<WordCandidate>> Predict(IReadOnlyList<string> words, IReadOnlyList<int> masked, int topK)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(masked);
        var isMasked = masked.ToHashSet();
        var ids = new List<long> { _tokenizer.ClsTokenId };
        var maskPosition = new Dictionary<int, int>();
        var noPrefix = new EncodeOptions { AddSpecialTokens = false };
        // RoBERTa's positions start after the padding id; one slot stays for the closing separator.
        var config = _model.Config;
        var limit = config.Family.MaxSequenceLength(config) - 1;
        for (var w = 0; w < words.Count && ids.Count < limit; w++)
        {
            if (isMasked.Contains(w))
            {
                maskPosition[w] = ids.Count;
                ids.Add(_tokenizer.MaskTokenId);
                continue;
            }
            // A space before every word but the first: byte-level BPE spells word starts with it.
            foreach (var id in _tokenizer.Encode(w == 0 ? words[w] : " " + words[w], options: noPrefix).Ids)
            {
                if (ids.Count >= limit) break;
                ids.Add(id);
            }
        }
        ids.Add(_tokenizer.SepTokenId);

        var result = new IReadOnlyList<WordCandidate>[masked.Count];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(ids.ToArray(), device: _device).unsqueeze(0);
        var encoded = _model.Encoder.Forward(input, ones_like(input), zeros_like(input));
        for (var m = 0; m < masked.Count; m++)
        {
            if (!maskPosition.TryGetValue(masked[m], out var position))
            {
                result[m] = Array.Empty<WordCandidate>();
                continue;
            }
            var logits = _model.PredictTokens(encoded.LastHiddenState[0, position].unsqueeze(0))[0];
            var probabilities = logits.softmax(0);
            // Fragments, specials and the original word cannot be proposed; the rest keep their probability.
            var allowed = probabilities.masked_fill(_notWord, 0.0);
            var original = words[masked[m]];
            var take = (int)Math.Min(topK + 8, allowed.shape[0]);
            var (values, indices) = allowed.topk(take);
            var scores = values.data<float>().ToArray();
            var picked = indices.data<long>().ToArray();
            var candidates = new List<WordCandidate>(topK);
            for (var i = 0; i < picked.Length && candidates.Count < topK; i++)
            {
                if (!(scores[i] > 0)) break;
                var word = _vocabulary.WordOf((int)picked[i]);
                if (word is null || WordCase.Same(word, original) || candidates.Any(c => WordCase.Same(c.Word, word))) continue;
                candidates.Add(new WordCandidate(word, scores[i]));
            }
            result[m] = candidates;
        }
        return result;
    }

    /// <summary>Disposes the vocabulary mask, and the model when <see cref="Load"/> made it.</summary>
    public void Dispose()
    {
        _notWord.Dispose();
        if (_ownsModel) _model.Dispose();
    }
}
