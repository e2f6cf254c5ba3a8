namespace Acclimate.IO;

/// <summary>
/// Replaces a file all at once: content goes to a temporary file in the same folder, which is
/// flushed to disk and then renamed over the target. Readers therefore see either the old file or
/// the complete new one, and a write that fails (exception, full disk) leaves the old file as it was.
/// </summary>
/// <remarks>
/// The temporary file lives beside the target because a rename is only atomic within one file
/// system. On Linux and macOS the rename also leaves any reader that still has the old file open
/// (or memory-mapped) reading the old, intact content. On Windows the rename fails while another
/// process has the target open without delete sharing. The folder must exist.
/// </remarks>
public static class AtomicFile
{
    private const int BufferSize = 1 << 20;

    /// <summary>
    /// Calls <paramref name="writeContent"/> with a stream on a temporary file, then renames that
    /// file over <paramref name="path"/>. If <paramref name="writeContent"/> throws, the temporary
    /// file is deleted and the exception propagates; the target is untouched.
    /// </summary>
    public static void Write(string path, Action<Stream> writeContent)
    {
        ArgumentNullException.ThrowIfNull(writeContent);
        using var pending = Begin(path);
        writeContent(pending.Stream);
        pending.Commit();
    }

    /// <summary>
    /// Opens a temporary file beside <paramref name="path"/> for content written over time (e.g.
    /// block by block while another component consumes the blocks). <see cref="PendingFile.Commit"/>
    /// flushes it to disk and renames it over <paramref name="path"/>; disposing it uncommitted
    /// deletes it, leaving the target untouched.
    /// </summary>
    public static PendingFile Begin(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"'{path}' names a root, not a file.", nameof(path));
        // A leading dot keeps the partial file out of casual listings; the random part lets two
        // writers of the same target proceed without trampling each other's temporary file.
        var tempPath = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        return new PendingFile(fullPath, tempPath, new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize));
    }

    /// <summary>A file being written under a temporary name; see <see cref="Begin"/>.</summary>
    public sealed class PendingFile : IDisposable
    {
        private readonly string _target;
        private readonly string _tempPath;
        private bool _committed;

        internal PendingFile(string target, string tempPath, FileStream stream)
        {
            _target = target;
            _tempPath = tempPath;
            Stream = stream;
        }

        /// <summary>The temporary file's stream; write the content here.</summary>
        public FileStream Stream { get; }

        /// <summary>Flushes the content to disk and renames the temporary file over the target.</summary>
        public void Commit()
        {
            if (_committed) throw new InvalidOperationException($"{_target}: already committed.");
            // Data must be on disk before the rename publishes it, or a crash could leave the
            // target name pointing at a file whose blocks were never written.
            Stream.Flush(flushToDisk: true);
            Stream.Dispose();
            File.Move(_tempPath, _target, overwrite: true);
            _committed = true;
        }

        /// <summary>Unless committed, closes the stream and deletes the temporary file (the destination is left as it was).</summary>
        public void Dispose()
        {
            if (_committed) return;
            Stream.Dispose();
            TryDelete(_tempPath);
        }
    }

    /// <summary>
    /// Atomically replaces <paramref name="path"/> with the UTF-8 text (no byte-order mark) that
    /// <paramref name="writeText"/> writes. The writer is flushed and the stream left to this class.
    /// </summary>
    public static void WriteText(string path, Action<TextWriter> writeText)
    {
        ArgumentNullException.ThrowIfNull(writeText);
        Write(path, stream =>
        {
            // leaveOpen: disposing the writer must not close the stream Write still flushes to disk.
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16, leaveOpen: true);
            writeText(writer);
        });
    }

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="text"/> as UTF-8 without a byte-order mark.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteAllBytes(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text));
    }

    /// <summary>Atomically replaces <paramref name="destination"/> with a copy of <paramref name="source"/>.</summary>
    public static void Copy(string source, string destination) =>
        Write(destination, stream =>
        {
            using var input = File.OpenRead(source);
            input.CopyTo(stream);
        });

    private static void TryDelete(string tempPath)
    {
        try
        {
            File.Delete(tempPath);
        }
        catch (IOException)
        {
            // The original failure matters more than a leftover temporary file; report that one.
        }
        catch (UnauthorizedAccessException)
        {
            // Same: never mask the exception that made the write fail.
        }
    }
}
