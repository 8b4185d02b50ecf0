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
