using Orleans.Flyte.Domain.Audit;

namespace Orleans.Flyte.Abstractions.Audit;

/// <summary>A difference between the stored history and a digest taken earlier.</summary>
/// <param name="Stream">The stream concerned; null for the digest as a whole.</param>
public sealed record DigestFinding(string? Stream, DigestDamage Damage, string Detail);
