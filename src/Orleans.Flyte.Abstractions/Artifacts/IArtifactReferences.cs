namespace Orleans.Flyte.Abstractions.Artifacts;

/// <summary>Which project/domain's history names an artifact: what lets a reader of that domain download its bytes,
/// although the store itself is cluster-wide.</summary>
public interface IArtifactReferences
{
    /// <summary>Whether an event of <paramref name="project"/>/<paramref name="domain"/> names the file with this SHA-256
    /// (as an input or an output of one of its runs, or a launch plan's fixed input).</summary>
    Task<bool> IsNamedInAsync(string project, string domain, string sha256, CancellationToken cancellationToken);
}
