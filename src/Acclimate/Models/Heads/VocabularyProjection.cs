using Acclimate.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models.Heads;

/// <summary>
/// The vocabulary-sized end of an MLM head: logits = hidden · Wᵀ + bias. When the config ties word
/// embeddings (HF's default) W is the encoder's word-embedding Parameter itself — not a copy — so
/// training updates one tensor; otherwise the head owns W, registered as HF names it (a
/// <c>decoder</c> submodule for BERT/RoBERTa/ALBERT, a <c>weight</c> for ELECTRA's generator
/// head). The <c>bias</c> always belongs to the head. <see cref="Resize"/> grows both with the
/// vocabulary.
/// </summary>
internal sealed class VocabularyProjection
{
    private readonly ExplicitModule _owner;
    private readonly EncoderModel _encoder;
    private readonly WeightHolder? _decoderModule;
    private readonly bool _ownWeightAsParameter;

    // Read from the owner's registry on every use, never cached: moving the owner to another
    // device (or dtype) registers new Parameters and disposes the old ones.
    private Parameter _bias => _owner.Registered("bias");
    private Parameter? _ownWeight => _ownWeightAsParameter ? _owner.Registered("weight") : null;

    /// <param name="untiedAsDecoderModule">Untied weight goes in a <c>decoder</c> submodule (true) or is the owner's <c>weight</c> (false).</param>
    public VocabularyProjection(ExplicitModule owner, EncoderModel encoder, int inputSize, bool tied, bool untiedAsDecoderModule = true)
    {
        _owner = owner;
        _encoder = encoder;
        var vocab = encoder.Config.VocabSize;
        owner.register_parameter("bias", new Parameter(zeros(vocab)));
        if (tied) return;
        if (untiedAsDecoderModule)
        {
            _decoderModule = new WeightHolder(empty(vocab, inputSize));
            owner.register_module("decoder", _decoderModule);
        }
        else
        {
            _ownWeightAsParameter = true;
            owner.register_parameter("weight", new Parameter(empty(vocab, inputSize)));
        }
    }

    public bool IsTied => _decoderModule is null && _ownWeight is null;

    public Tensor Project(Tensor hidden) =>
        Autocast.Linear(hidden, _decoderModule?.Weight ?? _ownWeight ?? _encoder.Embeddings.WordEmbeddingWeight, _bias);

    /// <summary>Grows (or shrinks) to <paramref name="newSize"/> rows: old rows kept, new bias entries 0, new untied rows from <paramref name="newRows"/>.</summary>
    public void Resize(int newSize, Tensor? newRows)
    {
        using var _ = no_grad();
        _owner.SetParameter("bias", Owned(new Parameter(Grow(_bias, newSize, null))));
        if (_decoderModule is not null) _decoderModule.Replace(Grow(_decoderModule.Weight, newSize, newRows));
        else if (_ownWeight is not null && _ownWeightAsParameter)
        {
            _owner.SetParameter("weight", Owned(new Parameter(Grow(_ownWeight, newSize, newRows))));
        }
    }

    /// <summary>
    /// Takes a new parameter out of the caller's dispose scope: a resize called inside
    /// <c>torch.NewDisposeScope()</c> would otherwise free the model's tensors when that scope ends.
    /// </summary>
    internal static Parameter Owned(Parameter p)
    {
        p.DetachFromDisposeScope();
        return p;
    }

    /// <summary>The first <paramref name="newSize"/> rows of <paramref name="old"/>, extended with <paramref name="newRows"/> (or zeros).</summary>
    internal static Tensor Grow(Tensor old, int newSize, Tensor? newRows)
    {
        var oldSize = (int)old.shape[0];
        if (newSize <= oldSize) return old.narrow(0, 0, newSize).detach().clone();
        var extraShape = old.shape.ToArray();
        extraShape[0] = newSize - oldSize;
        using var extra = newRows is not null ? newRows.to(old.dtype, old.device).reshape(extraShape) : zeros(extraShape, old.dtype, old.device);
        return cat(new[] { old.detach(), extra }, 0);
    }
}
