using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models.Heads;

/// <summary>
/// The vocabulary projection of an MLM head. When the config ties word embeddings (the HF
/// default) it multiplies by the encoder's word embedding matrix — the same Parameter, not a copy,
/// so training updates one tensor; otherwise it owns a <c>decoder</c> weight of its own. The bias
/// always belongs to the head (HF ties <c>decoder.bias</c> to it).
/// </summary>
public sealed class TiedDecoder
{
    private readonly Func<Parameter> _tiedWeight;
    private readonly Linear? _ownDecoder;

    /// <param name="owner">The head module; an untied decoder is registered on it as <c>decoder</c>.</param>
    public TiedDecoder(nn.Module owner, EncoderModel encoder, int inputSize, bool tied)
    {
        // A delegate, not the Parameter itself: vocabulary growth replaces the embedding tensor.
        _tiedWeight = () => encoder.Embeddings.WordEmbeddingWeight;
        if (!tied)
        {
            _ownDecoder = nn.Linear(inputSize, encoder.Config.VocabSize, hasBias: false);
            owner.register_module("decoder", _ownDecoder);
        }
    }

    public bool IsTied => _ownDecoder is null;

    public Tensor Project(Tensor hidden, Tensor bias) =>
        nn.functional.linear(hidden, _ownDecoder?.weight ?? _tiedWeight(), bias);
}
