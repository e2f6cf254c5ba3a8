using System.Buffers.Binary;
using Acclimate.Runtime;
using Acclimate.Training;

namespace Acclimate.Tests.Training;

/// <summary>
/// The event file TorchSharp's SummaryWriter writes, read back the way TensorBoard reads it:
/// TFRecord framing (length, masked CRC-32C of the length, payload, masked CRC-32C of the payload,
/// checked with a CRC written here, not TorchSharp's) around serialized tensorboard Event protos.
/// </summary>
public sealed class TensorBoardLogTests
{
    public TensorBoardLogTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void EventsFileIsValidTfRecordWithTheScalars()
    {
        using var folder = TestPaths.NewTempFolder();
        var log = new TensorBoardLog(folder.File("events"));
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        log.Write(new MetricsRecord(10, 0.5, new Dictionary<string, double> { ["loss"] = 2.5, ["lr"] = 1e-4, ["grad_norm"] = double.NaN }));
        log.Write(new MetricsRecord(20, 1.0, new Dictionary<string, double> { ["loss"] = 1.25 }));
        log.Write(new MetricsRecord(20, 1.0, new Dictionary<string, double> { ["eval_f1"] = 0.75 }));
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var file = Assert.Single(Directory.GetFiles(folder.File("events"), "events.out.tfevents.*"));
        var events = ReadRecords(File.ReadAllBytes(file)).Select(Tensorboard.Event.Parser.ParseFrom).ToList();
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        var scalars = events.Skip(1).SelectMany(e => e.Summary.Value.Select(v => (e.Step, v.Tag, v.SimpleValue, e.WallTime))).ToList();
        Assert.Equal(new[]
        {
            (10L, "train/loss", 2.5f), (10L, "train/lr", 1e-4f), (10L, "train/epoch", 0.5f),
            (20L, "train/loss", 1.25f), (20L, "train/epoch", 1.0f),
            (20L, "eval/f1", 0.75f),
        }, scalars.Select(s => (s.Step, s.Tag, s.SimpleValue)));
        // Wall time is Unix seconds (TensorBoard's unit), not .NET ticks.
        Assert.All(scalars, s => Assert.InRange(s.WallTime, before - 1, after + 1));
    }

    /// <summary>Splits TFRecord framing, verifying both checksums.</summary>
    private static IEnumerable<byte[]> ReadRecords(byte[] bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            var lengthBytes = bytes.AsSpan(offset, 8);
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            Assert.Equal(MaskedCrc(lengthBytes), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8, 4)));
            var payload = bytes.AsSpan(offset + 12, length).ToArray();
            Assert.Equal(MaskedCrc(payload), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 12 + length, 4)));
            offset += 12 + length + 4;
            yield return payload;
        }
        Assert.Equal(bytes.Length, offset);
    }

    /// <summary>TFRecord's mask over CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).</summary>
    private static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        crc ^= 0xFFFFFFFFu;
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }
}
