using Acclimate.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Acclimate.Models.Lora;

/// <summary>
/// LoRA's down projection A (<c>lora_A</c>, weight [rank, in]), registered as a child of the
/// adapted <see cref="Linear"/> so its state-dict key is <c>&lt;module&gt;.lora_A.weight</c>, the name
/// PEFT's adapter files use. It knows its up projection, the scale α / r and the input dropout.
/// </summary>
internal sealed class LoraDown : ExplicitModule
{
    public LoraDown(long inFeatures, int rank, double scale, double dropout, LoraUp up, ScalarType dtype, Device device) : base(nameof(LoraDown))
    {
        var weight = empty(new long[] { rank, inFeatures }, dtype: dtype, device: device);
        // Kaiming-uniform with a = √5, as nn.Linear's own initialization and PEFT's default for A.
        using (no_grad()) nn.init.kaiming_uniform_(weight, a: Math.Sqrt(5));
        // Owned by the module, not by whatever dispose scope the caller has open.
        var parameter = new TorchSharp.Modules.Parameter(weight.DetachFromDisposeScope());
        parameter.DetachFromDisposeScope();
        register_parameter("weight", parameter);
        Scale = scale;
        Dropout = dropout;
        Up = up;
    }

    public Parameter Weight => Registered("weight");
    public double Scale { get; }
    public double Dropout { get; }
    public LoraUp Up { get; }
}

/// <summary>LoRA's up projection B (<c>lora_B</c>, weight [out, rank]), zero at the start so the adapted model equals the base.</summary>
internal sealed class LoraUp : ExplicitModule
{
    public LoraUp(long outFeatures, int rank, ScalarType dtype, Device device) : base(nameof(LoraUp))
    {
        var parameter = new TorchSharp.Modules.Parameter(zeros(new long[] { outFeatures, rank }, dtype: dtype, device: device).DetachFromDisposeScope());
        parameter.DetachFromDisposeScope();
        register_parameter("weight", parameter);
    }

    public Parameter Weight => Registered("weight");
}

/// <summary>
/// The forward pass of an encoder Linear that may carry a LoRA adapter (Hu et al. 2021):
/// <c>W x + b + (α/r)·B A dropout(x)</c>. Without an adapter it is exactly <see cref="Autocast.Linear(Linear, Tensor)"/>.
/// </summary>
internal static class LoraLinear
{
    /// <summary>The adapter registered on <paramref name="layer"/>, or null.</summary>
    public static LoraDown? AdapterOf(Linear layer)
    {
        foreach (var (name, child) in layer.named_children())
            if (name == "lora_A" && child is LoraDown down) return down;
        return null;
    }

    public static Tensor Forward(Linear layer, Tensor input)
    {
        if (AdapterOf(layer) is not { } down) return Autocast.Linear(layer, input);
        // The adapter's dropout and products see the input in the weight's dtype, as they always have
        // (attention hands its bf16 context on under bf16 autocast).
        var weight = layer.weight ?? throw new InvalidOperationException("a Linear layer without a weight");
        if (input.dtype != weight.dtype && input.dtype == Autocast.ComputeType && Autocast.IsReduced)
        {
            using var widened = input.to_type(weight.dtype);
            return WithAdapter(layer, widened, down);
        }
        return WithAdapter(layer, input, down);
    }

    /// <summary>
    /// <see cref="Forward"/> with the result in the compute dtype (bf16 under bf16 autocast, else
    /// the plain result): query, key and value, which attention multiplies in bf16 anyway.
    /// </summary>
    public static Tensor ForwardInCompute(Linear layer, Tensor input)
    {
        if (AdapterOf(layer) is null) return Autocast.LinearInCompute(layer, input);
        using var output = Forward(layer, input);
        return Autocast.ToCompute(output);
    }

    private static Tensor WithAdapter(Linear layer, Tensor input, LoraDown down)
    {
        var output = Autocast.Linear(layer, input);
        using (output)
        {
            using var dropped = down.Dropout > 0 && down.training ? nn.functional.dropout(input, down.Dropout, true) : input.alias();
            using var low = Autocast.Linear(dropped, down.Weight, null);
            using var update = Autocast.Linear(low, down.Up.Weight, null);
            using var scaled = update.mul(down.Scale);
            return output + scaled;
        }
    }

    /// <summary>ΔW = (α/r)·B A, shaped like the base weight [out, in]; the one formula every merge uses, so merges agree bit for bit.</summary>
    public static Tensor Delta(Tensor up, Tensor down, double scale)
    {
        using var product = up.matmul(down);
        return product.mul(scale);
    }
}
