namespace Acclimate.Checkpoints;

/// <summary>
/// Element types a safetensors header can declare. Declared in the reference implementation's
/// order, which is increasing alignment: the writer sorts tensors by descending value of this
/// enum so every tensor's data starts on a multiple of its element size.
/// </summary>
/// <remarks>
/// Every member can be opened and validated; <see cref="SafetensorsDTypes.IsReadable"/> tells which
/// ones TorchSharp 0.107 can hold (the unsigned 16/32/64-bit and FP8 types have no TorchSharp
/// scalar type, so <see cref="SafetensorsFile.ReadTensor(string)"/> refuses them).
/// </remarks>
internal enum SafetensorsDType
{
    /// <summary>"BOOL": one byte per element, 0 or 1.</summary>
    Bool,
    /// <summary>"U8": unsigned 8-bit integer.</summary>
    U8,
    /// <summary>"I8": signed 8-bit integer.</summary>
    I8,
    /// <summary>"F8_E5M2": 8-bit float (not readable into TorchSharp 0.107).</summary>
    F8E5M2,
    /// <summary>"F8_E4M3": 8-bit float (not readable into TorchSharp 0.107).</summary>
    F8E4M3,
    /// <summary>"I16": signed 16-bit integer.</summary>
    I16,
    /// <summary>"U16": unsigned 16-bit integer (not readable into TorchSharp 0.107).</summary>
    U16,
    /// <summary>"F16": IEEE half precision.</summary>
    F16,
    /// <summary>"BF16": bfloat16.</summary>
    BF16,
    /// <summary>"I32": signed 32-bit integer.</summary>
    I32,
    /// <summary>"U32": unsigned 32-bit integer (not readable into TorchSharp 0.107).</summary>
    U32,
    /// <summary>"F32": IEEE single precision.</summary>
    F32,
    /// <summary>"F64": IEEE double precision.</summary>
    F64,
    /// <summary>"I64": signed 64-bit integer.</summary>
    I64,
    /// <summary>"U64": unsigned 64-bit integer (not readable into TorchSharp 0.107).</summary>
    U64,
}
