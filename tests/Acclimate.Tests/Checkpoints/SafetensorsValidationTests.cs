using System.Text;
using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Runtime;
using TorchSharp;

namespace Acclimate.Tests.Checkpoints;

/// <summary>Each malformed file is built byte by byte here; each must fail with a message naming the file (and tensor).</summary>
public sealed class SafetensorsValidationTests : IDisposable
{
    private const string F32Pair = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    private readonly SafetensorsTempFolder _folder = new();

    public SafetensorsValidationTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void AFileShorterThanTheLengthFieldIsTruncated()
    {
        var (error, path) = OpenFails(new byte[] { 8, 0, 0, 0, 0 });
        AssertNames(error, path, "has 5 bytes", "truncated");
    }

    [Fact]
    public void AHeaderLengthBeyondTheEndOfTheFileIsRefused()
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.BuildRaw(1000, Encoding.UTF8.GetBytes("{}"), Array.Empty<byte>()));
        AssertNames(error, path, "says 1000 bytes", "only 2 bytes follow");
    }

    [Theory]
    [InlineData(100_000_001UL)]
    [InlineData(ulong.MaxValue)]
    public void AHeaderLengthAboveTheReferenceBoundIsRefused(ulong lengthField)
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.BuildRaw(lengthField, Encoding.UTF8.GetBytes("{}"), Array.Empty<byte>()));
        AssertNames(error, path, $"says {lengthField} bytes", "at most 100000000");
    }

    [Fact]
    public void AHeaderThatIsNotUtf8IsRefused()
    {
        var header = Encoding.UTF8.GetBytes("{\"w\":1}").Concat(new byte[] { 0xFF }).ToArray();
        var (error, path) = OpenFails(SafetensorsTestBytes.BuildRaw((ulong)header.Length, header, Array.Empty<byte>()));
        AssertNames(error, path, "not valid UTF-8");
    }

    [Theory]
    [InlineData("{\"w\": ")]
    [InlineData("{} x")]
    [InlineData("")]
    [InlineData("{\"w\":{},}")]
    public void AHeaderThatIsNotJsonIsRefused(string header)
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build(header, pad: false));
        AssertNames(error, path, "not valid JSON");
    }

    [Theory]
    [InlineData("[1,2]", "is an array")]
    [InlineData("\"text\"", "is a string")]
    [InlineData("null", "is null")]
    public void AHeaderThatIsNotAnObjectIsRefused(string header, string found)
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build(header));
        AssertNames(error, path, found, "expected a JSON object");
    }

    [Theory]
    [InlineData("{\"shape\":[2],\"data_offsets\":[0,8]}", "no \"dtype\"")]
    [InlineData("{\"dtype\":\"F32\",\"data_offsets\":[0,8]}", "no \"shape\"")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[2]}", "no \"data_offsets\"")]
    public void AnEntryMissingAFieldIsRefused(string entry, string found)
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build($"{{\"w\":{entry}}}", new byte[8]));
        AssertNames(error, path, "'w'", found);
    }

    [Theory]
    [InlineData("\"not an object\"", "the entry is a string")]
    [InlineData("{\"dtype\":5,\"shape\":[2],\"data_offsets\":[0,8]}", "\"dtype\" is a number")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}", "\"shape\" is a string")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}", "\"shape\"[0] is 1.5")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}", "\"shape\"[0] is 2e0")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,8]}", "\"shape\"[0] is null")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{}}", "\"data_offsets\" is an object")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}", "\"data_offsets\" is an array of 3 values")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,\"8\"]}", "\"data_offsets\" end is \"8\"")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-1,8]}", "\"data_offsets\" begin is -1")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}", "end before they begin")]
    [InlineData("{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", "\"dtype\" more than once")]
    public void AnEntryWithWrongJsonTypesIsRefused(string entry, string found)
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build($"{{\"w\":{entry}}}", new byte[8]));
        AssertNames(error, path, "'w'", found);
    }

    [Theory]
    [InlineData("F4")]
    [InlineData("f32")]
    [InlineData("C64")]
    public void AnUnsupportedDTypeIsRefusedNamingTheSupportedOnes(string dtype)
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build($"{{\"w\":{{\"dtype\":\"{dtype}\",\"shape\":[2],\"data_offsets\":[0,8]}}}}", new byte[8]));
        AssertNames(error, path, "'w'", $"unsupported dtype \"{dtype}\"", "F32", "BF16", "BOOL");
    }

    [Fact]
    public void ANegativeDimensionIsRefused()
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8]));
        AssertNames(error, path, "'w'", "\"shape\"[0] is -2");
    }

    [Theory]
    [InlineData("[4611686018427387904,4]")]          // 2^62 * 4 elements overflows
    [InlineData("[2305843009213693952]")]             // 2^61 elements fit, 2^61 * 4 bytes overflow
    [InlineData("[99999999999999999999]")]            // does not even fit in 64 bits
    public void AnOverflowingShapeIsRefused(string shape)
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[0,8]}}}}", new byte[8]));
        AssertNames(error, path, "'w'");
        Assert.True(error.Message.Contains("64-bit", StringComparison.Ordinal) || error.Message.Contains("non-negative integer", StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public void OffsetsWhoseLengthDisagreesWithDTypeAndShapeAreRefused()
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]));
        AssertNames(error, path, "'w'", "span 8 bytes", "needs 12 bytes");
    }

    [Fact]
    public void OffsetsPastTheEndOfTheDataMeanATruncatedFile()
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]));
        AssertNames(error, path, "'w'", "only 8 bytes", "truncated");
    }

    [Fact]
    public void OverlappingTensorsAreRefused()
    {
        var header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        var (error, path) = OpenFails(SafetensorsTestBytes.Build(header, new byte[12]));
        AssertNames(error, path, "'b'", "'a' ends at byte 8", "overlap by 4 bytes");
    }

    [Fact]
    public void AHoleBetweenTensorsIsRefused()
    {
        var header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}";
        var (error, path) = OpenFails(SafetensorsTestBytes.Build(header, new byte[20]));
        AssertNames(error, path, "'b'", "'a' ends at byte 8", "hole of 4 bytes");
    }

    [Fact]
    public void AHoleBeforeTheFirstTensorIsRefused()
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]));
        AssertNames(error, path, "'a'", "starts at byte 0", "hole of 4 bytes");
    }

    [Fact]
    public void TrailingBytesAfterTheLastTensorAreRefused()
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build($"{{\"a\":{F32Pair}}}", new byte[12]));
        AssertNames(error, path, "'a' ends at byte 8", "4 trailing bytes");
    }

    [Fact]
    public void DataWithoutAnyTensorIsRefused()
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build("{}", new byte[4]));
        AssertNames(error, path, "no tensors", "4 trailing bytes");
    }

    [Fact]
    public void ADuplicateTensorNameIsRefused()
    {
        var header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
        var (error, path) = OpenFails(SafetensorsTestBytes.Build(header, new byte[16]));
        AssertNames(error, path, "'w'", "more than once");
    }

    [Theory]
    [InlineData("{\"__metadata__\":{\"format\":1}}", "key 'format' holds a number")]
    [InlineData("{\"__metadata__\":{\"format\":null}}", "key 'format' holds null")]
    [InlineData("{\"__metadata__\":[\"pt\"]}", "\"__metadata__\" is an array")]
    [InlineData("{\"__metadata__\":\"pt\"}", "\"__metadata__\" is a string")]
    [InlineData("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", "key 'a' appears more than once")]
    [InlineData("{\"__metadata__\":{},\"__metadata__\":{}}", "more than one \"__metadata__\"")]
    public void MetadataThatIsNotAStringToStringMapIsRefused(string header, string found)
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build(header));
        AssertNames(error, path, found);
    }

    [Theory]
    [InlineData("{\"w\\ud800\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}")]
    [InlineData("{\"__metadata__\":{\"k\":\"\\udc00\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}")]
    public void ALoneSurrogateEscapeInTheHeaderIsRefused(string header)
    {
        var (error, path) = OpenFails(SafetensorsTestBytes.Build(header, new byte[8]));
        AssertNames(error, path, "not valid Unicode");
    }

    [Fact]
    public void ABoolByteOtherThanZeroOrOneIsRefusedBeforeReachingTorch()
    {
        var path = _folder.WriteFile("bool.safetensors", SafetensorsTestBytes.Build("{\"flags\":{\"dtype\":\"BOOL\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[] { 1, 0, 2, 1 }));
        using var file = SafetensorsFile.Open(path);

        var error = Assert.Throws<CheckpointException>(() => file.ReadTensor("flags"));
        AssertNames(error, path, "'flags'", "element 2 is byte 2", "expected 0 or 1");
    }

    [Fact]
    public void ReadingAnUnknownTensorNameFails()
    {
        var path = _folder.WriteFile("one.safetensors", SafetensorsTestBytes.Build($"{{\"a\":{F32Pair}}}", new byte[8]));
        using var file = SafetensorsFile.Open(path);

        Assert.False(file.Contains("b"));
        var error = Assert.Throws<CheckpointException>(() => file.ReadTensor("b"));
        AssertNames(error, path, "'b'", "no tensor of that name", "1 tensors");
    }

    [Theory]
    [InlineData("U16", 2, nameof(SafetensorsDType.U16))]
    [InlineData("U32", 4, nameof(SafetensorsDType.U32))]
    [InlineData("U64", 8, nameof(SafetensorsDType.U64))]
    [InlineData("F8_E4M3", 1, nameof(SafetensorsDType.F8E4M3))]
    [InlineData("F8_E5M2", 1, nameof(SafetensorsDType.F8E5M2))]
    public void AFormatDTypeWithoutATorchSharpTypeOpensButCannotBeRead(string dtype, int size, string expected)
    {
        var header = $"{{\"a\":{F32Pair},\"u\":{{\"dtype\":\"{dtype}\",\"shape\":[3],\"data_offsets\":[8,{8 + 3 * size}]}}}}";
        var path = _folder.WriteFile("u.safetensors", SafetensorsTestBytes.Build(header, new byte[8 + 3 * size]));
        using var file = SafetensorsFile.Open(path);

        // The enum is internal, so the theory names the expected member (a public test method cannot take an internal type).
        Assert.Equal(expected, file.Tensors["u"].DType.ToString());
        using (var a = file.ReadTensor("a")) Assert.Equal(new long[] { 2 }, a.shape);
        var error = Assert.Throws<CheckpointException>(() => file.ReadTensor("u"));
        AssertNames(error, path, "'u'", dtype, "no TorchSharp equivalent", "F32");
    }

    [Fact]
    public void AMissingFileIsACheckpointError()
    {
        var path = _folder.File("absent.safetensors");
        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        AssertNames(error, path, "does not exist");
    }

    [Fact]
    public void WhatTheReferenceAcceptsIsAccepted()
    {
        // Unpadded header, entries out of offset order, an unknown extra field, whitespace, null metadata.
        var header = "{ \"__metadata__\": null, \"b\": {\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12],\"extra\":[1]},\n" +
                     "  \"a\": {\"data_offsets\":[0,8],\"shape\":[2],\"dtype\":\"F32\"} }\n";
        var data = BitConverter.GetBytes(1.5f).Concat(BitConverter.GetBytes(-2.5f)).Concat(BitConverter.GetBytes(7)).ToArray();
        var path = _folder.WriteFile("lenient.safetensors", SafetensorsTestBytes.Build(header, data, pad: false));

        using var file = SafetensorsFile.Open(path);
        Assert.Empty(file.Metadata);
        using var a = file.ReadTensor("a");
        using var b = file.ReadTensor("b");
        Assert.Equal(new[] { 1.5f, -2.5f }, a.data<float>().ToArray());
        Assert.Equal(7, b.item<int>());
    }

    [Fact]
    public void RandomlyCorruptedFilesFailOnlyWithCheckpointErrors()
    {
        // Byte flips, truncations and extensions of a valid mixed-dtype file: whatever happens,
        // the only acceptable failure is a CheckpointException (never a crash or another type).
        var header = "{\"__metadata__\":{\"format\":\"pt\"},\"f\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}," +
                     "\"h\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[16,22]},\"m\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[22,24]}}";
        var data = new byte[24];
        data[22] = 1;
        var valid = SafetensorsTestBytes.Build(header, data);
        var random = new Random(20240611);
        var path = _folder.File("fuzz.safetensors");
        var opened = 0;
        for (var round = 0; round < 1500; round++)
        {
            var bytes = Corrupt(valid, random);
            File.WriteAllBytes(path, bytes);
            try
            {
                using var file = SafetensorsFile.Open(path);
                opened++;
                foreach (var name in file.Tensors.Keys)
                {
                    using var tensor = file.ReadTensor(name);
                    Assert.Equal(file.Tensors[name].Shape, tensor.shape);
                }
            }
            catch (CheckpointException e)
            {
                Assert.Contains(path, e.Message, StringComparison.Ordinal);
            }
        }
        // Some corruptions (inside tensor data) leave a valid file; most do not. Both paths ran.
        Assert.InRange(opened, 1, 1499);
    }

    private static byte[] Corrupt(byte[] valid, Random random)
    {
        var bytes = (byte[])valid.Clone();
        switch (random.Next(4))
        {
            case 0:
                return bytes[..random.Next(bytes.Length)];
            case 1:
                return bytes.Concat(Enumerable.Range(0, random.Next(1, 9)).Select(_ => (byte)random.Next(256))).ToArray();
            case 2:
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            default:
                // Digits and structural characters in the header are where the interesting damage is.
                var at = 8 + random.Next(bytes.Length - 8 - 24);
                const string structural = "0123456789-[]{},:\"eE. ";
                bytes[at] = (byte)structural[random.Next(structural.Length)];
                return bytes;
        }
    }

    private (CheckpointException Error, string Path) OpenFails(byte[] bytes)
    {
        var path = _folder.WriteFile("bad.safetensors", bytes);
        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        return (error, path);
    }

    private static void AssertNames(CheckpointException error, string path, params string[] fragments)
    {
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        foreach (var fragment in fragments) Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }
}
