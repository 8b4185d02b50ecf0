namespace Orleans.Flyte.Abstractions.Audit;

/// <summary>A pinned definition version; <paramref name="SpecHash"/> is its registered content hash (null: its
/// registration is not in the store).</summary>
public sealed record PinnedVersion(string Name, string Version, string? SpecHash, string? RegisteredBy, DateTimeOffset? RegisteredAt);
