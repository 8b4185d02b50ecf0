namespace Orleans.Flyte.Abstractions.Artifacts;

/// <summary>Where <c>file</c> and <c>directory</c> values are kept (<c>Flyte:Artifacts</c>).</summary>
public sealed class ArtifactStoreOptions
{
    public const string Section = "Flyte:Artifacts";

    /// <summary>The store's directory. Embedded default: <c>.data/artifacts</c> (relative to the silo's working
    /// directory). On a cluster: where the shared NFS-backed volume is mounted in the silo, the same volume that is
    /// mounted into task pods.</summary>
    public string Root { get; set; } = Path.Combine(".data", "artifacts");

    /// <summary>The most one declared file or directory output may take, in bytes; a task that writes more fails its
    /// attempt with the reason (permanently: the same task writes the same size again).</summary>
    public long MaxArtifactBytes { get; set; } = 4L * 1024 * 1024 * 1024;
}
