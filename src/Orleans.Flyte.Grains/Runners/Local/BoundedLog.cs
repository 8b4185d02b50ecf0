using System.Buffers;
using System.Globalization;
using System.Text;

namespace Orleans.Flyte.Grains.Runners.Local;

/// <summary>
/// One output stream of an attempt, kept on disk as at most two segments of half the byte limit each:
/// <c>stdout.log</c> (being written) and <c>stdout.log.1</c> (the one before). When the current segment is full it
/// replaces the previous one, so the disk use stays bounded, the log stays readable while the task runs, and what is
/// kept is the tail, where a traceback is. Once anything was dropped, <c>stdout.log.truncated</c> holds how many bytes.
/// The file is created with the stream's first byte: most tasks write nothing to one of their streams, and every file an
/// attempt creates (and its release removes) costs an inode allocation, which on ext4 without a journal scans past every
/// inode freed in the last minute.
/// </summary>
internal sealed class BoundedLog(string path, int maxBytes)
{
    private string Previous => path + ".1";

    private string TruncatedMarker => path + ".truncated";

    /// <summary>Copies <paramref name="source"/> to disk until it ends, then closes it (a process's redirected streams are
    /// not closed when the process is disposed, and left to the finalizer they hold their pipes until a GC). Always drains
    /// it, even when the disk fails, so the task never blocks on a full pipe. True when the stream ended without a byte
    /// (so no file was made for it).</summary>
    public async Task<bool> CaptureAsync(Stream source)
    {
        var segment = Math.Max(1, maxBytes / 2);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        long inSegment = 0;
        long dropped = 0;
        FileStream? file = null;
        var failed = false;
        var empty = true;
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer)) > 0)
            {
                empty = false;
                if (failed)
                {
                    continue;
                }

                try
                {
                    file ??= Open();
                    for (var offset = 0; offset < read;)
                    {
                        if (inSegment == segment)
                        {
                            await file.DisposeAsync();
                            if (File.Exists(Previous))
                            {
                                dropped += segment;
                                await File.WriteAllTextAsync(TruncatedMarker, dropped.ToString(CultureInfo.InvariantCulture));
                            }

                            File.Move(path, Previous, overwrite: true);
                            file = Open();
                            inSegment = 0;
                        }

                        var take = (int)Math.Min(read - offset, segment - inSegment);
                        await file.WriteAsync(buffer.AsMemory(offset, take));
                        offset += take;
                        inSegment += take;
                    }

                    await file.FlushAsync();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    if (file is not null)
                    {
                        await file.DisposeAsync();
                        file = null;
                    }

                    failed = true;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The pipe broke: the process is gone.
        }
        finally
        {
            if (file is not null)
            {
                await file.DisposeAsync();
            }

            await source.DisposeAsync();
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return empty;
    }

    /// <summary>The kept tail of the log, and whether anything before it was dropped.</summary>
    public async Task<(string Text, bool Truncated)> ReadAsync(CancellationToken cancellationToken)
    {
        var previous = await ReadBytesAsync(Previous, cancellationToken);
        var current = await ReadBytesAsync(path, cancellationToken);
        var text = Encoding.UTF8.GetString([.. previous, .. current]);
        var dropped = await ReadBytesAsync(TruncatedMarker, cancellationToken);
        return dropped.Length == 0
            ? (text, false)
            : ($"[truncated: the first {Encoding.UTF8.GetString(dropped)} bytes were dropped, the last ones follow]\n{text}", true);
    }

    /// <summary>The last <paramref name="lines"/> non-empty lines, for an error message.</summary>
    public async Task<string> TailAsync(int lines, int maxChars)
    {
        var (text, _) = await ReadAsync(CancellationToken.None);
        var tail = string.Join('\n', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(lines));
        return tail.Length > maxChars ? "..." + tail[^maxChars..] : tail;
    }

    private FileStream Open() =>
        new(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, useAsync: true);

    private static async Task<byte[]> ReadBytesAsync(string file, CancellationToken cancellationToken)
    {
        if (!File.Exists(file))
        {
            return []; // the usual case for the marker and the previous segment, and for a stream the task never wrote to
        }

        try
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, cancellationToken);
            return copy.ToArray();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
    }
}
