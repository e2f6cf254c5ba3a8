using System.Buffers.Binary;
using System.Text;
using Acclimate.Checkpoints;
using Acclimate.Runtime;
using TorchSharp;
using Acclimate.IO;

namespace Acclimate.Tests.Checkpoints;

public sealed class SafetensorsRoundTripTests
{
    public SafetensorsRoundTripTests() => TorchRuntime.EnsureInitialized();

    [Theory]
    [InlineData("F32", torch.ScalarType.Float32)]
    [InlineData("F64", torch.ScalarType.Float64)]
    [InlineData("F16", torch.ScalarType.Float16)]
    [InlineData("BF16", torch.ScalarType.BFloat16)]
    [InlineData("I64", torch.ScalarType.Int64)]
    [InlineData("I32", torch.ScalarType.Int32)]
    [InlineData("I16", torch.ScalarType.Int16)]
    [InlineData("I8", torch.ScalarType.Int8)]
    [InlineData("U8", torch.ScalarType.Byte)]
    [InlineData("BOOL", torch.ScalarType.Bool)]
    public void EveryReadableDTypeRoundTripsBitForBit(string dtypeName, torch.ScalarType scalarType)
    {
        using var folder = new SafetensorsTempFolder();
        var shape = new long[] { 2, 3, 5 };
        var payload = Payload(dtypeName, 30, seed: 1);
        using var original = FromBytes(scalarType, shape, payload);
        var path = folder.File("one.safetensors");

        SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("x", original) });

        var raw = SafetensorsTestBytes.Parse(File.ReadAllBytes(path)).Tensors["x"];
        Assert.Equal(dtypeName, raw.DType);
        Assert.Equal(shape, raw.Shape);
        Assert.Equal(payload, raw.Data);

        using var file = SafetensorsFile.Open(path);
        using var read = file.ReadTensor("x");
        Assert.Equal(scalarType, read.dtype);
        Assert.Equal(shape, read.shape);
        Assert.Equal(DeviceType.CPU, read.device_type);
        Assert.Equal(payload, read.bytes.ToArray());
    }

    [Fact]
    public void MixedDTypesAreOrderedByAlignmentThenNameSoEveryTensorIsAligned()
    {
        using var folder = new SafetensorsTempFolder();
        // Names run opposite to alignment so that a plain name sort would misalign the 8-byte types.
        var specs = new (string Name, string DType, torch.ScalarType Type, long Count)[]
        {
            ("a_bool", "BOOL", torch.ScalarType.Bool, 3),
            ("b_u8", "U8", torch.ScalarType.Byte, 5),
            ("c_i8", "I8", torch.ScalarType.Int8, 1),
            ("d_i16", "I16", torch.ScalarType.Int16, 3),
            ("e_f16", "F16", torch.ScalarType.Float16, 1),
            ("f_bf16", "BF16", torch.ScalarType.BFloat16, 3),
            ("g_i32", "I32", torch.ScalarType.Int32, 1),
            ("h_f32", "F32", torch.ScalarType.Float32, 3),
            ("i_f64", "F64", torch.ScalarType.Float64, 1),
            ("j_i64", "I64", torch.ScalarType.Int64, 3),
            ("k_f32", "F32", torch.ScalarType.Float32, 2),
        };
        var payloads = specs.Select((s, i) => Payload(s.DType, s.Count, seed: 10 + i)).ToArray();
        var tensors = specs.Select((s, i) => KeyValuePair.Create(s.Name, FromBytes(s.Type, new[] { s.Count }, payloads[i]))).ToList();
        var path = folder.File("mixed.safetensors");
        try
        {
            SafetensorsWriter.Write(path, tensors);
        }
        finally
        {
            foreach (var t in tensors) t.Value.Dispose();
        }

        var (_, raw, dataStart) = SafetensorsTestBytes.Parse(File.ReadAllBytes(path));
        Assert.Equal(0, dataStart % 8);
        var inFileOrder = raw.Values.OrderBy(t => t.Begin).Select(t => t.Name).ToArray();
        // The reference writer's order: I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL; names break ties.
        Assert.Equal(new[] { "j_i64", "i_f64", "h_f32", "k_f32", "g_i32", "f_bf16", "e_f16", "d_i16", "c_i8", "b_u8", "a_bool" }, inFileOrder);
        foreach (var t in raw.Values)
        {
            var size = (t.End - t.Begin) / Math.Max(1, t.Shape.Aggregate(1L, (a, b) => a * b));
            Assert.True((dataStart + t.Begin) % size == 0, $"{t.Name} starts at file offset {dataStart + t.Begin}, not a multiple of {size}");
        }

        using var file = SafetensorsFile.Open(path);
        for (var i = 0; i < specs.Length; i++)
        {
            Assert.Equal(payloads[i], raw[specs[i].Name].Data);
            using var read = file.ReadTensor(specs[i].Name);
            Assert.Equal(specs[i].Type, read.dtype);
            Assert.Equal(payloads[i], read.bytes.ToArray());
        }
    }

    [Fact]
    public void HeaderBytesMatchTheReferenceWritersCompactLayout()
    {
        using var folder = new SafetensorsTempFolder();
        var values = new float[] { 0, 1, 2, 3, 4, 5 };
        using var tensor = torch.tensor(values, new long[] { 1, 2, 3 });
        var path = folder.File("ref.safetensors");

        SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("attn.0", tensor) });

        var data = values.SelectMany(BitConverter.GetBytes).ToArray();
        var expected = SafetensorsTestBytes.Build("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", data);
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void AnEmptyTensorSetRoundTrips()
    {
        using var folder = new SafetensorsTempFolder();
        var first = folder.File("empty.safetensors");
        var second = folder.File("empty2.safetensors");

        SafetensorsWriter.Write(first, Array.Empty<KeyValuePair<string, torch.Tensor>>());
        // "{}" padded to 8 bytes: the smallest valid file, as the reference writes it.
        Assert.Equal(new byte[] { 8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32 }, File.ReadAllBytes(first));

        using (var file = SafetensorsFile.Open(first))
        {
            Assert.Empty(file.Tensors);
            Assert.Empty(file.Metadata);
            SafetensorsWriter.Write(second, file.Tensors.Keys.Select(k => KeyValuePair.Create(k, file.ReadTensor(k))), file.Metadata);
        }
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [Fact]
    public void MetadataOnlyFileRoundTrips()
    {
        using var folder = new SafetensorsTempFolder();
        var path = folder.File("meta.safetensors");

        SafetensorsWriter.Write(path, Array.Empty<KeyValuePair<string, torch.Tensor>>(), new Dictionary<string, string> { ["format"] = "pt" });

        Assert.Equal(SafetensorsTestBytes.Build("{\"__metadata__\":{\"format\":\"pt\"}}"), File.ReadAllBytes(path));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Empty(file.Tensors);
    }

    [Fact]
    public void WriteReadWriteOfTheBertFixtureGivesIdenticalFilesAndTheSameDataSection()
    {
        using var folder = new SafetensorsTempFolder();
        var fixture = SafetensorsFixtureTests.CommittedBertFixture;
        var first = folder.File("first.safetensors");
        var second = folder.File("second.safetensors");

        CopyThroughTorch(fixture, first);
        CopyThroughTorch(first, second);

        var firstBytes = File.ReadAllBytes(first);
        Assert.Equal(firstBytes, File.ReadAllBytes(second));
        // The fixture was written by an independent writer (metadata last, same name order), so the
        // headers differ in layout but the data sections must agree byte for byte.
        var fixtureBytes = File.ReadAllBytes(fixture);
        var fixtureDataStart = SafetensorsTestBytes.Parse(fixtureBytes).DataStart;
        var firstDataStart = SafetensorsTestBytes.Parse(firstBytes).DataStart;
        Assert.Equal(fixtureBytes.AsSpan((int)fixtureDataStart).ToArray(), firstBytes.AsSpan((int)firstDataStart).ToArray());
    }

    [Fact]
    public void NonContiguousAndOffsetViewsAreWrittenInLogicalRowMajorOrder()
    {
        using var folder = new SafetensorsTempFolder();
        var path = folder.File("views.safetensors");
        using var baseTensor = torch.arange(24, dtype: torch.ScalarType.Float32).reshape(2, 3, 4);
        using var flat = baseTensor.reshape(-1);
        using var transposed = baseTensor.transpose(0, 2);            // [4,3,2], not contiguous
        using var offsetView = flat.narrow(0, 5, 7);                   // contiguous, storage offset 5
        using var strided = flat.slice(0, 1, 24, 3);                   // stride 3
        Assert.False(transposed.is_contiguous());
        Assert.False(strided.is_contiguous());

        SafetensorsWriter.Write(path, new[]
        {
            KeyValuePair.Create("transposed", transposed),
            KeyValuePair.Create("offset", offsetView),
            KeyValuePair.Create("strided", strided),
        });

        // Expected values computed by index arithmetic, not by torch: base[i,j,k] = 12i + 4j + k.
        var expectedTransposed = new List<float>();
        for (var k = 0; k < 4; k++)
            for (var j = 0; j < 3; j++)
                for (var i = 0; i < 2; i++)
                    expectedTransposed.Add(12 * i + 4 * j + k);
        var raw = SafetensorsTestBytes.Parse(File.ReadAllBytes(path)).Tensors;
        Assert.Equal(new long[] { 4, 3, 2 }, raw["transposed"].Shape);
        Assert.Equal(expectedTransposed, Floats(raw["transposed"].Data));
        Assert.Equal(Enumerable.Range(5, 7).Select(v => (float)v), Floats(raw["offset"].Data));
        Assert.Equal(new float[] { 1, 4, 7, 10, 13, 16, 19, 22 }, Floats(raw["strided"].Data));

        using var file = SafetensorsFile.Open(path);
        using var read = file.ReadTensor("transposed");
        Assert.True(SafetensorsTestBytes.SameBits(read, transposed));
    }

    [Fact]
    public void ScalarAndZeroSizedTensorsRoundTrip()
    {
        using var folder = new SafetensorsTempFolder();
        var path = folder.File("edge.safetensors");
        using var scalar = torch.tensor(3.5f);
        using var empty = torch.empty(new long[] { 0, 3 }, torch.ScalarType.Int64);

        SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("scalar", scalar), KeyValuePair.Create("empty", empty) });

        var raw = SafetensorsTestBytes.Parse(File.ReadAllBytes(path)).Tensors;
        Assert.Empty(raw["scalar"].Shape);
        Assert.Equal(BitConverter.GetBytes(3.5f), raw["scalar"].Data);
        Assert.Equal(new long[] { 0, 3 }, raw["empty"].Shape);
        Assert.Equal(raw["empty"].Begin, raw["empty"].End);

        using var file = SafetensorsFile.Open(path);
        using var readScalar = file.ReadTensor("scalar");
        using var readEmpty = file.ReadTensor("empty");
        Assert.Empty(readScalar.shape);
        Assert.Equal(3.5f, readScalar.item<float>());
        Assert.Equal(new long[] { 0, 3 }, readEmpty.shape);
        Assert.Equal(torch.ScalarType.Int64, readEmpty.dtype);
        Assert.Equal(1, file.Tensors["scalar"].ElementCount);
        Assert.Equal(0, file.Tensors["empty"].ElementCount);
    }

    [Fact]
    public void ATensorLargerThanOneCopyChunkRoundTripsAcrossTheChunkBoundary()
    {
        using var folder = new SafetensorsTempFolder();
        var path = folder.File("large.safetensors");
        const int count = 5_000_000; // 20 MB of F32: more than one 16 MB copy chunk, exact as floats
        using var large = torch.arange(count, dtype: torch.ScalarType.Float32);

        SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("large", large) });

        var bytes = File.ReadAllBytes(path);
        var dataStart = (int)SafetensorsTestBytes.Parse(bytes).DataStart;
        const int boundary = (16 << 20) / 4;
        foreach (var index in new[] { 0, boundary - 1, boundary, boundary + 1, count - 1 })
            Assert.Equal(index, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + 4 * index)));

        using var file = SafetensorsFile.Open(path);
        using var read = file.ReadTensor("large");
        Assert.True(SafetensorsTestBytes.SameBits(read, large));
    }

    [Fact]
    public void ReadTensorWithATargetTypeConverts()
    {
        using var folder = new SafetensorsTempFolder();
        var path = folder.File("half.safetensors");
        using var half = torch.tensor(new float[] { 0.5f, -2f, 1024f }).to_type(torch.ScalarType.Float16);
        SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("h", half) });

        using var file = SafetensorsFile.Open(path);
        using var asFloat = file.ReadTensor("h", torch.ScalarType.Float32);
        using var asHalf = file.ReadTensor("h", torch.ScalarType.Float16);

        Assert.Equal(torch.ScalarType.Float32, asFloat.dtype);
        Assert.Equal(new float[] { 0.5f, -2f, 1024f }, asFloat.data<float>().ToArray());
        Assert.Equal(torch.ScalarType.Float16, asHalf.dtype);
    }

    [Fact]
    public void NamesAndMetadataWithQuotesBackslashesControlCharactersAndUnicodeRoundTrip()
    {
        using var folder = new SafetensorsTempFolder();
        var path = folder.File("names.safetensors");
        const string name = "layer.0/ü\"x\\y\tz";
        var metadata = new Dictionary<string, string> { ["quote\"key"] = "back\\slash\nnew\u0001line", ["ünï"] = "日本" };
        using var tensor = torch.ones(2);

        SafetensorsWriter.Write(path, new[] { KeyValuePair.Create(name, tensor) }, metadata);

        var bytes = File.ReadAllBytes(path);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)SafetensorsTestBytes.Parse(bytes).DataStart - 8);
        // Like serde_json: non-ASCII stays literal, control characters become escapes.
        Assert.Contains("\"layer.0/ü\\\"x\\\\y\\tz\"", header);
        Assert.Contains("new\\u0001line", header);
        Assert.Contains("日本", header);

        var raw = SafetensorsTestBytes.Parse(bytes);
        Assert.Equal(metadata, raw.Metadata);
        Assert.True(raw.Tensors.ContainsKey(name));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(metadata, file.Metadata);
        Assert.True(file.Contains(name));
    }

    [Fact]
    public void AnOpenFileKeepsReadingItsOwnContentWhenTheTargetIsAtomicallyReplaced()
    {
        // Relies on POSIX rename semantics; Windows refuses to replace a mapped file (documented on AtomicFile).
        if (OperatingSystem.IsWindows()) return;
        using var folder = new SafetensorsTempFolder();
        var path = folder.File("replaced.safetensors");
        using var ones = torch.ones(1000);
        using var twos = torch.full(1000, 2f);
        SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("x", ones) });

        using var old = SafetensorsFile.Open(path);
        SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("x", twos) });

        using var fromOld = old.ReadTensor("x");
        Assert.True(SafetensorsTestBytes.SameBits(fromOld, ones));
        using var fresh = SafetensorsFile.Open(path);
        using var fromFresh = fresh.ReadTensor("x");
        Assert.True(SafetensorsTestBytes.SameBits(fromFresh, twos));
    }

    [Fact]
    public void ReadTensorAfterDisposeThrowsObjectDisposed()
    {
        using var folder = new SafetensorsTempFolder();
        var path = folder.File("d.safetensors");
        using var tensor = torch.ones(2);
        SafetensorsWriter.Write(path, new[] { KeyValuePair.Create("x", tensor) });
        var file = SafetensorsFile.Open(path);
        file.Dispose();

        Assert.Throws<ObjectDisposedException>(() => file.ReadTensor("x"));
    }

    internal static void CopyThroughTorch(string source, string destination)
    {
        using var file = SafetensorsFile.Open(source);
        var tensors = file.Tensors.Keys.Select(k => KeyValuePair.Create(k, file.ReadTensor(k))).ToList();
        try
        {
            SafetensorsWriter.Write(destination, tensors, file.Metadata);
        }
        finally
        {
            foreach (var t in tensors) t.Value.Dispose();
        }
    }

    private static torch.Tensor FromBytes(torch.ScalarType type, long[] shape, byte[] bytes)
    {
        var tensor = torch.empty(shape, type);
        tensor.bytes = bytes;
        return tensor;
    }

    private static float[] Floats(byte[] bytes) =>
        Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i))).ToArray();

    /// <summary>
    /// Random bytes for <paramref name="count"/> elements, led by the bit patterns most likely to
    /// be altered by a conversion: NaNs with payloads (quiet and signalling), -0, subnormals, extremes.
    /// </summary>
    private static byte[] Payload(string dtype, long count, int seed)
    {
        var random = new Random(seed);
        if (dtype == "BOOL") return Enumerable.Range(0, (int)count).Select(_ => (byte)random.Next(2)).ToArray();

        var (size, specials) = dtype switch
        {
            "F32" => (4, new ulong[] { 0x7FC00001, 0x7F800001, 0xFFFFFFFF, 0x80000000, 0x00000001, 0x7F800000 }),
            "F64" => (8, new ulong[] { 0x7FF0000000000001, 0xFFF8000000000123, 0x8000000000000000, 0x0000000000000001 }),
            "F16" => (2, new ulong[] { 0x7C01, 0xFE01, 0x7F55, 0x8000, 0x0001 }),
            "BF16" => (2, new ulong[] { 0x7F81, 0xFFC1, 0x7FFF, 0x8000, 0x0001 }),
            "I64" => (8, new ulong[] { 0x8000000000000000, 0x7FFFFFFFFFFFFFFF, ulong.MaxValue }),
            "I32" => (4, new ulong[] { 0x80000000, 0x7FFFFFFF, 0xFFFFFFFF }),
            "I16" => (2, new ulong[] { 0x8000, 0x7FFF, 0xFFFF }),
            "I8" or "U8" => (1, new ulong[] { 0x80, 0x7F, 0xFF }),
            _ => throw new ArgumentException(dtype),
        };
        var bytes = new byte[count * size];
        random.NextBytes(bytes);
        Span<byte> element = stackalloc byte[8];
        for (var i = 0; i < Math.Min(specials.Length, count); i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(element, specials[i]);
            element[..size].CopyTo(bytes.AsSpan(i * size));
        }
        return bytes;
    }
}
