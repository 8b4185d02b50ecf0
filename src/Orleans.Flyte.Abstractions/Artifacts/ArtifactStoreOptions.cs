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

    /// <summary>The most one upload (<c>POST …/artifacts</c>) may hold, in bytes; a larger one is a 413 and nothing is
    /// stored. At most <see cref="MaxArtifactBytes"/>.</summary>
    public long MaxUploadBytes { get; set; } = 1L * 1024 * 1024 * 1024;

    /// <summary>How often the collector removes artifacts no stored event refers to; zero turns collection off.</summary>
    public TimeSpan CollectionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long an artifact is kept after it was stored or last used (uploaded again, written again by a task,
    /// named by a submission), whether or not an event refers to it yet: the time a reference may take to be recorded.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The most artifacts one collection pass removes, so a pass is bounded; the rest wait for the next.</summary>
    public int MaxRemovalsPerPass { get; set; } = 1000;
}
