using System.Text.Json.Nodes;

namespace Orleans.Flyte.Abstractions.Audit;

/// <summary>
/// The whole account of one run, from the stored events: who asked for it (or which launch plan version fired it and who
/// had activated that version), the pinned versions with their spec hashes, inputs and outputs, every attempt with its
/// resources and GPU units, aborts and cache hits, and the chain status of every stream the account was read from.
/// </summary>
public sealed record RunReport(
    string ExecutionId,
    string Project,
    string Domain,
    string Phase,
    RunOrigin Origin,
    PinnedVersion Workflow,
    IReadOnlyList<PinnedVersion> Tasks,
    JsonNode? Inputs,
    JsonNode? Outputs,
    string? Error,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<RunAttempt> Attempts,
    IReadOnlyList<RunAbort> Aborts,
    IReadOnlyList<RunCacheHit> CacheHits,
    IReadOnlyList<StreamChain> Chains)
{
    /// <summary>Every stream the report was read from verifies.</summary>
    public bool ChainsIntact => Chains.All(c => c.Intact);
}

/// <param name="SubmittedBy">The principal whose request created the run (<c>system:...</c> for a scheduled fire).</param>
/// <param name="OnBehalfOf">For a run a platform component created: whom it acted for.</param>
/// <param name="LaunchPlan"><c>name@version</c> when a launch plan created the run.</param>
/// <param name="ActivatedBy">Who activated that launch plan version (the last activation before the run), when and why.</param>
public sealed record RunOrigin(
    string SubmittedBy,
    string? OnBehalfOf,
    DateTimeOffset SubmittedAt,
    string? CorrelationId,
    string? LaunchPlan,
    DateTimeOffset? ScheduledAt,
    string? ActivatedBy,
    DateTimeOffset? ActivatedAt,
    string? ActivationReason,
    string? RelaunchOf,
    string? RecoverOf);

/// <summary>A pinned definition version; <paramref name="SpecHash"/> is its registered content hash (null: its
/// registration is not in the store).</summary>
public sealed record PinnedVersion(string Name, string Version, string? SpecHash, string? RegisteredBy, DateTimeOffset? RegisteredAt);

/// <param name="Resources">The task's resource request (CPU, memory, GPU) as its pinned spec states it.</param>
public sealed record RunAttempt(
    string Node,
    string Task,
    int Attempt,
    string AttemptId,
    string Outcome,
    JsonNode? Resources,
    string? GpuNode,
    IReadOnlyList<string> GpuUnits,
    string? GpuResource,
    DateTimeOffset LaunchedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    string? Error);

/// <param name="Node">Null for the execution's own abort.</param>
public sealed record RunAbort(string? Node, string By, string? OnBehalfOf, DateTimeOffset At, string Reason);

public sealed record RunCacheHit(string Node, string SourceExecutionId, string SourceNodeId);

/// <param name="Damage">The kind of damage at <paramref name="FirstBrokenVersion"/> (a <c>ChainDamage</c> name); null when intact.</param>
public sealed record StreamChain(string Stream, long Events, bool Intact, long? FirstBrokenVersion, string? Damage);
