using System.Text;
using Acclimate.Checkpoints.PytorchBin;
using Acclimate.Errors;

namespace Acclimate.Tests.Checkpoints;

/// <summary>The restricted unpickler on hand-made byte strings: plain values are read, everything else refused.</summary>
public sealed class PickleUnpicklerTests
{
    private static object NoStorages(PickleTuple pid, long at) => throw new InvalidOperationException("no storages here");

    private static object? Load(params byte[][] parts) =>
        RestrictedUnpickler.Load(parts.SelectMany(p => p).ToArray(), "test.pkl", NoStorages);

    private static byte[] B(string ascii) => Encoding.Latin1.GetBytes(ascii);

    private static byte[] U(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return [(byte)'X', .. BitConverter.GetBytes(bytes.Length), .. bytes];
    }

    [Fact]
    public void ReadsPlainContainersNumbersAndMemo()
    {
        // {'a': [1, -2, 300, -1 (LONG1), 1.5, True, None], 'b': <memo 0 = the list>}
        var value = Load(B("\u0080\u0002}"), U("a"), B("]q\u0000(K\u0001J\u00fe\u00ff\u00ff\u00ffM\u002c\u0001\u008a\u0001\u00ffG\u003f\u00f8\u0000\u0000\u0000\u0000\u0000\u0000\u0088Ne"),
                         B("s"), U("b"), B("h\u0000s."));
        var dict = Assert.IsType<PickleDict>(value);
        var list = Assert.IsType<List<object?>>(dict.Items[0].Value);
        Assert.Equal(new object?[] { 1L, -2L, 300L, -1L, 1.5, true, null }, list);
        Assert.Same(list, dict.Items[1].Value);
    }

    [Fact]
    public void SelfReferencingListDoesNotHangTheErrorMessage()
    {
        // l = []; l.append(l); then BUILD on it (refused): the message describes the list without recursing.
        var e = Assert.Throws<CheckpointException>(() => Load(B("\u0080\u0002]q\u0000h\u0000a}b.")));
        Assert.Contains("refused BUILD", e.Message);
        Assert.Contains("list of 1", e.Message);
    }

    [Theory]
    [InlineData("\u0080\u0002cbuiltins\ngetattr\n.", "'builtins.getattr'")]
    [InlineData("\u0080\u0002ccopyreg\n_reconstructor\n.", "'copyreg._reconstructor'")]
    [InlineData("\u0080\u0002ctorch\nload\n.", "'torch.load'")]
    [InlineData("\u0080\u0002ctorch._utils\n_rebuild_device_tensor_from_numpy\n.", "'torch._utils._rebuild_device_tensor_from_numpy'")]
    [InlineData("\u0080\u0002(\u0081.", "refused opcode NEWOBJ")]
    [InlineData("\u0080\u0002(o.", "refused opcode OBJ")]
    [InlineData("\u0080\u0002\u0082\u0001.", "refused opcode EXT1")]
    [InlineData("\u0080\u0002Pos.system\n.", "refused opcode PERSID")]
    [InlineData("\u0080\u0002K\u0001)R.", "refused REDUCE on int")]
    [InlineData("\u0080\u0002ccollections\nOrderedDict\nK\u0001\u0085R.", "OrderedDict called with 1 arguments")]
    [InlineData("\u0080\u0002K\u0001K\u0002.", "STOP with 2 values")]
    [InlineData("\u0080\u0002}", "ends without a STOP")]
    [InlineData("\u0080\u0002X\u00ff\u00ff\u00ff\u007f", "only 0 remain")]
    [InlineData("\u0080\u0002h\u0005.", "never stored")]
    [InlineData("\u0080\u0002s.", "stack (above the last MARK) is empty")]
    [InlineData("\u0080\u0001.", "pickle protocol 1")]
    public void RefusesWithACause(string bytes, string expected)
    {
        var e = Assert.Throws<CheckpointException>(() => Load(B(bytes)));
        Assert.Contains("test.pkl", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
