using System.Text.Json;
using System.Text.Unicode;

namespace Acclimate.Checkpoints;

/// <summary>
/// Parses and validates a safetensors JSON header against the size of the data section that
/// follows it. Everything a later read relies on is checked here, so that no byte outside a
/// tensor's declared range can ever be handed to torch.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The reserved key that holds free-form string metadata instead of a tensor.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Same bound as the reference implementation: a larger header is treated as corrupt.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private SafetensorsHeader(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<SafetensorsTensorInfo> tensorsByOffset)
    {
        Metadata = metadata;
        TensorsByOffset = tensorsByOffset;
    }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensors in data order (ascending offsets), which is also the cheapest order to read them in.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> TensorsByOffset { get; }

    public static SafetensorsHeader Parse(string path, ReadOnlyMemory<byte> headerBytes, long dataLength)
    {
        if (!Utf8.IsValid(headerBytes.Span))
            throw SafetensorsErrors.InFile(path, $"the {headerBytes.Length}-byte header is not valid UTF-8; expected a UTF-8 JSON object.");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw SafetensorsErrors.InFile(path, $"the header is not valid JSON ({e.Message}); expected a JSON object of tensor entries.", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw SafetensorsErrors.InFile(path, $"the header is {Describe(root.ValueKind)}; expected a JSON object of tensor entries.");

            IReadOnlyDictionary<string, string>? metadata = null;
            var tensors = new List<SafetensorsTensorInfo>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                foreach (var property in root.EnumerateObject())
                {
                    // JSON allows repeated keys and System.Text.Json keeps them all; a repeated tensor
                    // name would make "which bytes belong to it" ambiguous, so it is an error.
                    if (!seen.Add(property.Name))
                    {
                        throw property.Name == MetadataKey
                            ? SafetensorsErrors.InFile(path, $"the header has more than one \"{MetadataKey}\" entry; expected at most one.")
                            : SafetensorsErrors.InTensor(path, property.Name, "the name appears more than once in the header; expected unique tensor names.");
                    }

                    if (property.Name == MetadataKey)
                        metadata = ParseMetadata(path, property.Value);
                    else
                        tensors.Add(ParseEntry(path, property.Name, property.Value));
                }
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json parses "\ud800" happily but refuses to turn a lone surrogate into a
                // string; the reference (serde_json) refuses it while parsing. Same outcome: not valid.
                throw SafetensorsErrors.InFile(path, $"the header holds a JSON string that is not valid Unicode ({e.Message}); expected well-formed \\u escapes.", e);
            }

            CheckLayout(path, tensors, dataLength);
            return new SafetensorsHeader(metadata ?? new Dictionary<string, string>(), tensors);
        }
    }

    private static IReadOnlyDictionary<string, string> ParseMetadata(string path, JsonElement value)
    {
        // The reference reads __metadata__ as an optional map, so an explicit null means "none".
        if (value.ValueKind == JsonValueKind.Null) return new Dictionary<string, string>();
        if (value.ValueKind != JsonValueKind.Object)
            throw SafetensorsErrors.InFile(path, $"\"{MetadataKey}\" is {Describe(value.ValueKind)}; expected an object mapping strings to strings.");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw SafetensorsErrors.InFile(path, $"\"{MetadataKey}\" key '{entry.Name}' holds {Describe(entry.Value.ValueKind)}; expected a string.");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw SafetensorsErrors.InFile(path, $"\"{MetadataKey}\" key '{entry.Name}' appears more than once; expected unique keys.");
        }
        return metadata;
    }

    private static SafetensorsTensorInfo ParseEntry(string path, string name, JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw SafetensorsErrors.InTensor(path, name, $"the entry is {Describe(entry.ValueKind)}; expected an object with \"dtype\", \"shape\" and \"data_offsets\".");

        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (var field in entry.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype": dtypeElement = Once(path, name, field, dtypeElement); break;
                case "shape": shapeElement = Once(path, name, field, shapeElement); break;
                case "data_offsets": offsetsElement = Once(path, name, field, offsetsElement); break;
                // Other fields are ignored, as the reference implementation does.
            }
        }

        var dtype = ParseDType(path, name, dtypeElement ?? throw Missing(path, name, "dtype"));
        var shape = ParseShape(path, name, shapeElement ?? throw Missing(path, name, "shape"));
        var (begin, end) = ParseOffsets(path, name, offsetsElement ?? throw Missing(path, name, "data_offsets"));

        long expectedBytes;
        try
        {
            expectedBytes = checked(ElementCount(shape) * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw SafetensorsErrors.InTensor(path, name, $"shape {Format(shape)} of {dtype.FormatName()} needs more bytes than a 64-bit size can count; expected a shape that fits in a file.");
        }
        if (end - begin != expectedBytes)
        {
            throw SafetensorsErrors.InTensor(path, name,
                $"data_offsets [{begin}, {end}] span {end - begin} bytes, but {dtype.FormatName()} with shape {Format(shape)} needs {expectedBytes} bytes " +
                $"({ElementCount(shape)} elements x {dtype.ElementSize()} bytes).");
        }
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private static JsonElement Once(string path, string name, JsonProperty field, JsonElement? already) =>
        already is null
            ? field.Value
            : throw SafetensorsErrors.InTensor(path, name, $"the entry has \"{field.Name}\" more than once; expected it once.");

    private static Acclimate.Errors.CheckpointException Missing(string path, string name, string field) =>
        SafetensorsErrors.InTensor(path, name, $"the entry has no \"{field}\"; expected \"dtype\", \"shape\" and \"data_offsets\".");

    private static SafetensorsDType ParseDType(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
            throw SafetensorsErrors.InTensor(path, name, $"\"dtype\" is {Describe(value.ValueKind)}; expected a string such as \"F32\".");
        var text = value.GetString()!;
        if (!SafetensorsDTypes.TryParse(text, out var dtype))
            throw SafetensorsErrors.InTensor(path, name, $"unsupported dtype \"{text}\"; supported dtypes are {SafetensorsDTypes.KnownNames}.");
        return dtype;
    }

    private static long[] ParseShape(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw SafetensorsErrors.InTensor(path, name, $"\"shape\" is {Describe(value.ValueKind)}; expected an array of non-negative integers.");
        var shape = new long[value.GetArrayLength()];
        var i = 0;
        foreach (var dimension in value.EnumerateArray())
        {
            shape[i] = NonNegativeInteger(dimension)
                ?? throw SafetensorsErrors.InTensor(path, name, $"\"shape\"[{i}] is {Show(dimension)}; expected a non-negative integer.");
            i++;
        }
        return shape;
    }

    private static (long Begin, long End) ParseOffsets(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2)
        {
            var found = value.ValueKind == JsonValueKind.Array ? $"an array of {value.GetArrayLength()} values" : Describe(value.ValueKind);
            throw SafetensorsErrors.InTensor(path, name, $"\"data_offsets\" is {found}; expected [begin, end].");
        }
        var begin = NonNegativeInteger(value[0])
            ?? throw SafetensorsErrors.InTensor(path, name, $"\"data_offsets\" begin is {Show(value[0])}; expected a non-negative integer.");
        var end = NonNegativeInteger(value[1])
            ?? throw SafetensorsErrors.InTensor(path, name, $"\"data_offsets\" end is {Show(value[1])}; expected a non-negative integer.");
        if (end < begin)
            throw SafetensorsErrors.InTensor(path, name, $"data_offsets [{begin}, {end}] end before they begin; expected begin <= end.");
        return (begin, end);
    }

    /// <summary>
    /// The reference implementation sorts entries by offsets and requires them to tile the data
    /// section exactly: the first starts at 0, each starts where the previous ended, the last ends
    /// at the end of the file. Holes, overlaps, missing data and trailing bytes are all refused.
    /// </summary>
    private static void CheckLayout(string path, List<SafetensorsTensorInfo> tensors, long dataLength)
    {
        tensors.Sort((a, b) =>
        {
            var byBegin = a.DataBegin.CompareTo(b.DataBegin);
            return byBegin != 0 ? byBegin : a.DataEnd.CompareTo(b.DataEnd);
        });

        long covered = 0;
        SafetensorsTensorInfo? previous = null;
        foreach (var tensor in tensors)
        {
            var after = previous is null ? "the data section starts at byte 0" : $"the previous tensor '{previous.Name}' ends at byte {covered}";
            if (tensor.DataBegin > covered)
            {
                throw SafetensorsErrors.InTensor(path, tensor.Name,
                    $"data starts at byte {tensor.DataBegin} of the data section but {after}, leaving a hole of {tensor.DataBegin - covered} bytes; " +
                    "expected tensors to cover the data section contiguously.");
            }
            if (tensor.DataBegin < covered)
            {
                throw SafetensorsErrors.InTensor(path, tensor.Name,
                    $"data starts at byte {tensor.DataBegin} of the data section but {after}, so the two overlap by {covered - tensor.DataBegin} bytes; " +
                    "expected tensors not to overlap.");
            }
            if (tensor.DataEnd > dataLength)
            {
                throw SafetensorsErrors.InTensor(path, tensor.Name,
                    $"data_offsets [{tensor.DataBegin}, {tensor.DataEnd}] reach past the end of the data section, which has only {dataLength} bytes; " +
                    "the file is truncated.");
            }
            covered = tensor.DataEnd;
            previous = tensor;
        }

        if (covered != dataLength)
        {
            var last = previous is null ? "there are no tensors" : $"the last tensor '{previous.Name}' ends at byte {covered}";
            throw SafetensorsErrors.InFile(path,
                $"the data section has {dataLength} bytes but {last}: {dataLength - covered} trailing bytes belong to no tensor; " +
                "expected the tensors to end exactly at the end of the file.");
        }
    }

    private static long ElementCount(long[] shape)
    {
        long count = 1;
        foreach (var dimension in shape) count = checked(count * dimension);
        return count;
    }

    private static long? NonNegativeInteger(JsonElement value) =>
        // TryGetInt64 refuses fractions and exponents ("2.0", "1e3"), so only plain integers pass.
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number >= 0 ? number : null;

    private static string Show(JsonElement value) =>
        value.ValueKind is JsonValueKind.Number or JsonValueKind.String ? value.GetRawText() : Describe(value.ValueKind);

    internal static string Format(long[] shape) => "[" + string.Join(", ", shape) + "]";

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
