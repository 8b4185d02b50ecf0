namespace Orleans.Flyte.Abstractions.Artifacts;

/// <summary>An output is over <see cref="ArtifactStoreOptions.MaxArtifactBytes"/>; nothing of it was stored.</summary>
public sealed class ArtifactTooLargeException(long limit) : Exception($"it is larger than {limit} bytes, the most one artifact may take")
{
    public long Limit { get; } = limit;
}
