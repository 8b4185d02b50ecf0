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

    private string Staging()
    {
        var incoming = Path.Combine(Root, "incoming");
        Directory.CreateDirectory(incoming);
        return Path.Combine(incoming, Guid.NewGuid().ToString("N"));
    }

    /// <summary>Moves the staged copy under its hash; when those bytes are already stored, the copy is dropped.</summary>
    private static void Publish(string staging, string destination, bool directory)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        try
        {
            if (directory)
            {
                if (!Directory.Exists(destination))
                {
                    Directory.Move(staging, destination);
                }
            }
            else
            {
                File.Move(staging, destination, overwrite: false);
            }
        }
        catch (IOException) when (directory ? Directory.Exists(destination) : File.Exists(destination))
        {
            // Stored meanwhile by another attempt that wrote the same bytes: content addressing makes both the same.
        }
    }

    private static async Task<(string Hash, long Size)> CopyHashingAsync(string source, string target, long limit, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true);
        if (input.Length > limit)
        {
            throw new ArtifactTooLargeException(limit);
        }

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
