namespace Orleans.Flyte.Abstractions.Audit;

/// <summary>
/// What a tenant's history was when it was taken: every stream head and the last global sequence, and
/// <see cref="Digest"/>, SHA-256 over them (<c>Domain.Audit.HistoryDigest</c>). Kept elsewhere, it lets a later verify find
/// what a chain alone cannot: a whole stream deleted, or the newest events of a stream cut off.
/// </summary>
/// <param name="Scope"><c>cluster</c> or <c>project/domain</c>.</param>
/// <param name="GlobalPosition">The tenant's highest global sequence when taken (0: no events).</param>
public sealed record AuditDigest(string Scope, long GlobalPosition, IReadOnlyList<StreamHead> Streams, string Digest, DateTimeOffset TakenAt);
