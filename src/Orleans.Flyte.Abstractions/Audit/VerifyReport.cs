namespace Orleans.Flyte.Abstractions.Audit;

/// <summary>The outcome of recomputing a tenant's chains.</summary>
/// <param name="Intact">True when no chain is broken, the saved digest (if any) matches, and the lease audit found nothing.</param>
/// <param name="Broken">Every stream whose chain breaks, with its first broken version and the kind of damage.</param>
/// <param name="AgainstDigest">What differs from the saved digest; empty when none was given or nothing differs.</param>
/// <param name="LeaseAudit">Broken allocator promises (<c>GpuLeaseAudit</c>); cluster scope only.</param>
/// <param name="Current">The digest of the history as it is now, to keep for the next verify; null on a part that is not the
/// last (<paramref name="Next"/> set): the last part carries it.</param>
/// <param name="Next">Null when the verify reached the last stream. Otherwise the time bound of one request
/// (<c>Flyte:RequestTimeout</c>) ran out first: this answer covers the streams up to and including this key, and the verify
/// goes on when the same request is sent again with <c>cursor</c> set to it (and the same digest). <c>Intact</c> then speaks for
/// the part checked so far; the digest comparisons that need every stream (deleted streams, truncated tails, the global
/// position) are made by the last part.</param>
public sealed record VerifyReport(
    string Scope,
    long Streams,
    long Events,
    bool Intact,
    IReadOnlyList<StreamDamage> Broken,
    IReadOnlyList<DigestFinding> AgainstDigest,
    IReadOnlyList<string> LeaseAudit,
    AuditDigest? Current,
    double Seconds,
    string? Next = null);
