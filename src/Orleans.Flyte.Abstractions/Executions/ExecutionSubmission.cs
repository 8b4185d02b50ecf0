using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Abstractions.Executions;

/// <summary>What was submitted for one execution: the basis of relaunch and recover. A view of the stored acceptance,
/// not the event itself, so the event can change shape without changing this contract.</summary>
/// <param name="Plan">The compiled plan pinned at submission (the workflow and every task version it runs).</param>
/// <param name="InputsJson">The workflow inputs after defaults were applied (a JSON object).</param>
/// <param name="RecoveredOutputs">For a recover: node id → the outputs it produced in <paramref name="RecoverOf"/>.</param>
/// <param name="LaunchPlan">The launch plan version (<c>name@version</c>) that launched it, if any.</param>
[GenerateSerializer, Immutable, Alias("flyte.ExecutionSubmission")]
public sealed record ExecutionSubmission(
    [property: Id(0)] string ExecutionId,
    [property: Id(1)] string Project,
    [property: Id(2)] string Domain,
    [property: Id(3)] ExecutionPlan Plan,
    [property: Id(4)] string InputsJson,
    [property: Id(5)] string? IdempotencyKey,
    [property: Id(6)] bool OverwriteCache,
    [property: Id(7)] int Priority,
    [property: Id(8)] string? RelaunchOf,
    [property: Id(9)] string? RecoverOf,
    [property: Id(10)] IReadOnlyDictionary<string, string> RecoveredOutputs,
    [property: Id(11)] string? LaunchPlan,
    [property: Id(12)] DateTimeOffset? ScheduledAt,
    [property: Id(13)] DateTimeOffset SubmittedAt,
    [property: Id(14)] string SubmittedBy);
