using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Abstractions.Artifacts;

/// <summary>
/// The content-addressed artifact store: a directory (<see cref="ArtifactStoreOptions.Root"/>) with
/// <c>files/&lt;sha256&gt;</c> and <c>directories/&lt;sha256&gt;/…</c>. Bytes are hashed while they are copied in, and
/// land under their hash by a rename, so a reader never sees half an artifact and the same bytes are stored once.
/// Stored artifacts are never changed, which is what lets a reference's hash stand for its contents in events and cache
/// keys. One class for both runners: the local runner reads and writes it directly, the Kubernetes runner mounts the
/// same directory (a shared volume) into pods.
/// </summary>
public sealed class ArtifactStore
{
    private const int BufferSize = 81920;

    public ArtifactStore(ArtifactStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxArtifactBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxArtifactBytes, "MaxArtifactBytes must be positive.");
        }

        Root = Path.GetFullPath(options.Root);
        MaxArtifactBytes = options.MaxArtifactBytes;
    }

    public string Root { get; }

    public long MaxArtifactBytes { get; }

    /// <summary>Where a stored artifact is, as this machine sees the store.</summary>
    public string PathOf(ArtifactReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return Path.Combine(Root, reference.IsDirectory ? "directories" : "files", reference.Sha256);
    }

    /// <summary>Whether the artifact is in the store.</summary>
    public bool Contains(ArtifactReference reference) =>
        reference.IsDirectory ? Directory.Exists(PathOf(reference)) : File.Exists(PathOf(reference));

    /// <summary>Stores what <paramref name="content"/> holds (an upload) under its SHA-256, reading at most
    /// <paramref name="limit"/> bytes.</summary>
    /// <exception cref="ArtifactTooLargeException">It holds more than <paramref name="limit"/>; nothing is stored.</exception>
    public async Task<ArtifactReference> PutStreamAsync(Stream content, string? format, long limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var staging = Staging();
        try
        {
            var (hash, size) = await CopyHashingAsync(content, staging, Math.Min(limit, MaxArtifactBytes), cancellationToken);
            var reference = new ArtifactReference(hash, size, IsDirectory: false, format);
            Publish(staging, PathOf(reference), directory: false);
            return reference;
        }
        finally
        {
            File.Delete(staging);
        }
    }

    /// <summary>Marks the artifact as just used, so the collector's grace period starts again (see
    /// <see cref="RemoveUnreferenced"/>); false when it is not in the store.</summary>
    public bool Touch(ArtifactReference reference)
    {
        try
        {
            var path = PathOf(reference);
            if (reference.IsDirectory)
            {
                Directory.SetLastWriteTimeUtc(path, DateTime.UtcNow);
            }
            else
            {
                File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
            }

            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Copies a file into the store under its SHA-256.</summary>
    /// <exception cref="ArtifactTooLargeException">It is over the limit; nothing is stored.</exception>
    public async Task<ArtifactReference> PutFileAsync(string path, string? format, CancellationToken cancellationToken = default)
    {
        var staging = Staging();
        try
        {
            var (hash, size) = await CopyHashingAsync(path, staging, MaxArtifactBytes, cancellationToken);
            var reference = new ArtifactReference(hash, size, IsDirectory: false, format);
            Publish(staging, PathOf(reference), directory: false);
            return reference;
        }
        finally
        {
            File.Delete(staging);
        }
    }

    /// <summary>Copies a directory tree into the store under the SHA-256 of its manifest: one line per file,
    /// <c>&lt;sha256&gt; &lt;size&gt; &lt;relative/path&gt;</c>, sorted by path (ordinal). Empty directories are not kept.</summary>
    /// <exception cref="ArtifactTooLargeException">Its files together are over the limit; nothing is stored.</exception>
    public async Task<ArtifactReference> PutDirectoryAsync(string path, string? format, CancellationToken cancellationToken = default)
    {
        var source = Path.GetFullPath(path);
        var staging = Staging();
        Directory.CreateDirectory(staging);
        try
        {
            var files = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
                .Select(f => (Full: f, Relative: Path.GetRelativePath(source, f).Replace('\\', '/')))
                .OrderBy(f => f.Relative, StringComparer.Ordinal)
                .ToList();
            var manifest = new StringBuilder();
            long total = 0;
            foreach (var (full, relative) in files)
            {
                var target = Path.Combine(staging, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                (string Hash, long Size) copied;
                try
                {
                    copied = await CopyHashingAsync(full, target, MaxArtifactBytes - total, cancellationToken);
                }
                catch (ArtifactTooLargeException)
                {
                    throw new ArtifactTooLargeException(MaxArtifactBytes); // the whole directory's limit, not what was left of it
                }

                var (hash, size) = copied;
                total += size;
                manifest.Append(CultureInfo.InvariantCulture, $"{hash} {size} {relative}\n");
            }

            var reference = new ArtifactReference(Hex(SHA256.HashData(Encoding.UTF8.GetBytes(manifest.ToString()))), total, IsDirectory: true, format);
            Publish(staging, PathOf(reference), directory: true);
            return reference;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>
    /// Removes stored artifacts that <paramref name="isReferenced"/> does not know (by SHA-256) and that were neither stored
    /// nor touched since <paramref name="cutoff"/>, at most <paramref name="max"/> of them, plus staging leftovers older than
    /// the cutoff. Safe beside writers: an artifact is first renamed aside, then its time read again; one that was touched
    /// meanwhile (stored again, named by a submission) is put back, and a writer that finds it gone stores its own copy.
    /// </summary>
    public ArtifactRemoval RemoveUnreferenced(Func<string, bool> isReferenced, DateTime cutoff, int max)
    {
        ArgumentNullException.ThrowIfNull(isReferenced);
        var (objects, bytes, kept) = (0, 0L, 0);
        var trash = Path.Combine(Root, "trash");
        foreach (var (folder, directory) in (ReadOnlySpan<(string, bool)>)[("files", false), ("directories", true)])
        {
            var parent = Path.Combine(Root, folder);
            if (!Directory.Exists(parent))
            {
                continue;
            }

            foreach (var path in directory ? Directory.EnumerateDirectories(parent) : Directory.EnumerateFiles(parent))
            {
                var hash = Path.GetFileName(path);
                if (objects >= max)
                {
                    return new ArtifactRemoval(objects, bytes, kept, Complete: false);
                }

                if (!ArtifactReference.IsSha256(hash) || LastWrite(path, directory) >= cutoff || isReferenced(hash))
                {
                    kept++;
                    continue;
                }

                Directory.CreateDirectory(trash);
                var aside = Path.Combine(trash, Guid.NewGuid().ToString("N"));
                try
                {
                    if (directory)
                    {
                        Directory.Move(path, aside);
                    }
                    else
                    {
                        File.Move(path, aside);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    continue; // removed or moved by someone else meanwhile
                }

                if (LastWrite(aside, directory) >= cutoff)
                {
                    PutBack(aside, path, directory); // touched between the look and the rename: in use after all
                    kept++;
                    continue;
                }

                var size = directory ? new DirectoryInfo(aside).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : new FileInfo(aside).Length;
                Delete(aside, directory);
                objects++;
                bytes += size;
            }
        }

        var incoming = Path.Combine(Root, "incoming");
        if (Directory.Exists(incoming))
        {
            foreach (var stale in Directory.EnumerateFileSystemEntries(incoming).Where(e => Directory.GetLastWriteTimeUtc(e) < cutoff).ToList())
            {
                Delete(stale, Directory.Exists(stale));
            }
        }

        return new ArtifactRemoval(objects, bytes, kept, Complete: true);

        static DateTime LastWrite(string path, bool directory) => directory ? Directory.GetLastWriteTimeUtc(path) : File.GetLastWriteTimeUtc(path);
    }

    private static void PutBack(string aside, string path, bool directory)
    {
        try
        {
            if (directory)
            {
                Directory.Move(aside, path);
            }
            else
            {
                File.Move(aside, path, overwrite: false);
            }
        }
        catch (IOException)
        {
            Delete(aside, directory); // stored again meanwhile: the same bytes are there
        }
    }

    private static void Delete(string path, bool directory)
    {
        try
        {
            if (directory)
            {
                Directory.Delete(path, recursive: true);
            }
            else
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next pass.
        }
    }

    private string Staging()
    {
        var incoming = Path.Combine(Root, "incoming");
        Directory.CreateDirectory(incoming);
        return Path.Combine(incoming, Guid.NewGuid().ToString("N"));
    }

    /// <summary>Moves the staged copy under its hash; when those bytes are already stored, the copy is dropped and the
    /// stored one touched, so the collector does not take it within its grace period. Should the collector take it
    /// between the two steps, the staged copy is moved in after all.</summary>
    private void Publish(string staging, string destination, bool directory)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (directory)
                {
                    Directory.Move(staging, destination);
                }
                else
                {
                    File.Move(staging, destination, overwrite: false);
                }

                return;
            }
            catch (IOException) when (directory ? Directory.Exists(destination) : File.Exists(destination))
            {
                // Stored already (by another attempt or upload of the same bytes): content addressing makes both the same.
                var reference = new ArtifactReference(Path.GetFileName(destination), 0, directory);
                if (Touch(reference))
                {
                    return;
                }

                if (attempt >= 2)
                {
                    throw new IOException($"{destination} kept appearing and disappearing while it was stored; nothing is stored this time");
                }
            }
        }
    }

    private static async Task<(string Hash, long Size)> CopyHashingAsync(string source, string target, long limit, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true);
        if (input.Length > limit)
        {
            throw new ArtifactTooLargeException(limit);
        }

        return await CopyHashingAsync(input, target, limit, cancellationToken);
    }

    private static async Task<(string Hash, long Size)> CopyHashingAsync(Stream input, string target, long limit, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
        var buffer = new byte[BufferSize];
        long size = 0;
        int read;
        while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
        {
            size += read;
            if (size > limit)
            {
                throw new ArtifactTooLargeException(limit); // it grew while being read
            }

            sha.AppendData(buffer, 0, read);
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return (Hex(sha.GetHashAndReset()), size);
    }

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);
}
