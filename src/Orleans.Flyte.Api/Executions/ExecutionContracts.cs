using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.Executions;

/// <param name="Workflow"><c>name@version</c>, or <c>name</c> for the latest registered version.</param>
/// <param name="OverwriteCache">Run cacheable tasks even on a cache hit, and replace the cached outputs.</param>
/// <param name="Priority">-100..100 (default 0): added to the domain's priority when this execution's tasks wait for GPUs.</param>
public sealed record CreateExecutionRequest(string? Workflow, JsonObject? Inputs, bool OverwriteCache = false, int? Priority = null);

/// <summary>The GPUs an attempt holds: the node, the GPU or MIG instance ids, and the Kubernetes resource.</summary>
public sealed record GpuGrantResponse(string Node, IReadOnlyList<string> Devices, string Resource);

/// <summary>Why a task waits for GPUs, with figures: <c>no free mig-3g.20gb: 0 of 4 free, position 3 in queue</c>.</summary>
public sealed record WaitingResponse(string Code, string Reason, int Position, DateTimeOffset? Since);

public sealed record AbortExecutionRequest(string? Reason);

public sealed record AttemptResponse(
    int Attempt, string AttemptId, string Outcome, DateTimeOffset LaunchedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error, int? ExitCode,
    GpuGrantResponse? Gpu = null);

public sealed record NodeResponse(
    string Id,
    string Task,
    string Phase,
    JsonNode? Inputs,
    JsonNode? Outputs,
    string? Error,
    bool CacheHit,
    string? RecoveredFrom,
    DateTimeOffset? ReadyAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<AttemptResponse> Attempts,
    WaitingResponse? Waiting = null,
    IReadOnlyList<MapElementResponse>? Elements = null,
    string? ChildExecutionId = null);

/// <summary>On a child execution: the execution and the sub-workflow or launch-plan node that started it.</summary>
public sealed record ExecutionParentResponse(string ExecutionId, string Node);

/// <summary>One element of a map node: <c>node[i]</c>, with its own task, attempts, logs and GPU lease.</summary>
public sealed record MapElementResponse(
    string Id,
    int Index,
    string Phase,
    JsonNode? Outputs,
    string? Error,
    bool CacheHit,
    IReadOnlyList<AttemptResponse> Attempts,
    WaitingResponse? Waiting = null);

public sealed record ExecutionResponse(
    string Id,
    string Project,
    string Domain,
    string Workflow,
    string Phase,
    JsonNode? Inputs,
    JsonNode? Outputs,
    string? Error,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? RelaunchOf,
    string? RecoverOf,
    string? LaunchPlan,
    DateTimeOffset? ScheduledAt,
    IReadOnlyList<NodeResponse> Nodes,
    ExecutionParentResponse? Parent = null);

public sealed record ExecutionSummary(
    string Id,
    string Workflow,
    string WorkflowVersion,
    string Phase,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    string? LaunchPlan,
    DateTimeOffset? ScheduledAt,
    ExecutionParentResponse? Parent = null);

/// <param name="NextCursor">Pass as <c>cursor</c> to get the next page; null on the last page.</param>
public sealed record ExecutionList(IReadOnlyList<ExecutionSummary> Items, string? NextCursor);

/// <param name="Data">The event's fields; values stored as JSON text (inputs, outputs, specs) are shown as JSON.</param>
/// <param name="Hash">This event's link in its stream's hash chain: SHA-256 over <paramref name="PreviousHash"/>, the stream,
/// the version, the type and the event.</param>
/// <param name="PreviousHash">The hash of the event before it in the same stream (64 zeros for the first).</param>
public sealed record TimelineEvent(
    long Sequence, string Stream, long Version, string Type, DateTimeOffset At, string Principal, string? CorrelationId, string? Reason, JsonNode? Data,
    string Hash, string PreviousHash);

public sealed record ExecutionTimeline(string ExecutionId, IReadOnlyList<TimelineEvent> Items);

public sealed record AttemptLogsResponse(string AttemptId, string Stdout, string Stderr, bool Truncated);
