namespace Orleans.Flyte.Abstractions.Audit;

/// <summary>
/// The stored history read back for an auditor (issue 13): every event of a tenant in commit order, the hash chains
/// recomputed, a digest of the stream heads to keep elsewhere, and an execution as it stood at a past instant. A tenant is
/// a project/domain (<c>StreamAddress.TenantOf</c>) or the cluster-wide streams (<c>StreamAddress.ClusterTenant</c>).
/// </summary>
public interface IAuditLog
{
    /// <summary>The tenant's events in commit order (by global sequence), filtered; read lazily from the database, so a
    /// caller that streams them holds one row at a time.</summary>
    IAsyncEnumerable<HistoryEntry> HistoryAsync(HistoryQuery query, CancellationToken cancellationToken = default);

    /// <summary>Every stream's head (version and stored hash) and the tenant's last global sequence, with their digest.</summary>
    Task<AuditDigest> DigestAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>Recomputes every chain of the tenant; with <paramref name="saved"/>, also compares with a digest taken
    /// earlier (a deleted stream or a truncated tail). For the cluster tenant also replays the allocator's promises.</summary>
    Task<VerifyReport> VerifyAsync(string tenant, AuditDigest? saved, CancellationToken cancellationToken = default);

    /// <summary>One part of a verify that may take several calls: the streams after <paramref name="after"/> (null: from the
    /// first) until <paramref name="budget"/> has passed (checked between groups of streams); <see cref="VerifyReport.Next"/>
    /// says where the next part starts, null when this part reached the end.</summary>
    Task<VerifyReport> VerifyAsync(string tenant, AuditDigest? saved, string? after, TimeSpan? budget, CancellationToken cancellationToken = default);

    /// <summary>The run's whole account (<see cref="RunReport"/>); null when the execution does not exist.</summary>
    Task<RunReport?> RunReportAsync(string project, string domain, string executionId, CancellationToken cancellationToken = default);

    /// <summary>The execution and its nodes' task executions folded from the events stamped at or before
    /// <paramref name="asOf"/>; null when the execution had not been accepted by then (or does not exist).</summary>
    Task<ExecutionAsOf?> ExecutionAsOfAsync(string project, string domain, string executionId, DateTimeOffset asOf, CancellationToken cancellationToken = default);

    /// <summary>A task's or workflow's versions as listed at <paramref name="asOf"/>; empty when none was registered by then.</summary>
    /// <param name="kind"><c>task</c> or <c>workflow</c> (<see cref="Registry.DefinitionKinds"/>).</param>
    Task<IReadOnlyList<Registry.DefinitionVersionSummary>> DefinitionVersionsAsOfAsync(
        string kind, string project, string domain, string name, DateTimeOffset asOf, CancellationToken cancellationToken = default);

    /// <summary>A launch plan as it stood at <paramref name="asOf"/> (which version was active, who changed each and why),
    /// its next fires computed from that instant; null when it did not exist then.</summary>
    Task<LaunchPlans.LaunchPlanView?> LaunchPlanAsOfAsync(string project, string domain, string name, DateTimeOffset asOf, CancellationToken cancellationToken = default);

    /// <summary>The GPU capacity view (who held which GPU and MIG slice, who waited and why) as it stood at
    /// <paramref name="asOf"/>: the allocator's stream folded up to then, answered as the live allocator would have.</summary>
    Task<Gpus.GpuCapacity> CapacityAsOfAsync(DateTimeOffset asOf, CancellationToken cancellationToken = default);
}
