using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Executions;

[GenerateSerializer, Immutable, Alias("flyte.TaskExecutionEvent")]
public abstract record TaskExecutionEvent : DomainEvent;

/// <param name="Task">The pinned task, <c>name@version</c>.</param>
/// <param name="CacheKey">Set when the task is cacheable: hash of task version, cache version and inputs.</param>
[GenerateSerializer, Immutable, Alias("flyte.TaskQueued")]
public sealed record TaskQueued(
    [property: Id(0)] string ExecutionId,
    [property: Id(1)] string NodeId,
    [property: Id(2)] string Project,
    [property: Id(3)] string Domain,
    [property: Id(4)] string Task,
    [property: Id(5)] string TaskSpec,
    [property: Id(6)] string InputsJson,
    [property: Id(7)] string? CacheKey,
    [property: Id(8)] bool OverwriteCache,
    [property: Id(9)] int Priority = 0) : TaskExecutionEvent;

/// <summary>Outputs reused from an earlier successful run with the same cache key; nothing was launched.</summary>
[GenerateSerializer, Immutable, Alias("flyte.TaskCacheHit")]
public sealed record TaskCacheHit(
    [property: Id(0)] string OutputsJson,
    [property: Id(1)] string SourceExecutionId,
    [property: Id(2)] string SourceNodeId) : TaskExecutionEvent;

/// <summary>Recorded before the runner is asked, so a replay after a crash adopts the attempt instead of starting a twin.</summary>
[GenerateSerializer, Immutable, Alias("flyte.AttemptLaunched")]
public sealed record AttemptLaunched([property: Id(0)] int Attempt, [property: Id(1)] string AttemptId) : TaskExecutionEvent;

[GenerateSerializer, Immutable, Alias("flyte.AttemptRunning")]
public sealed record AttemptRunning([property: Id(0)] int Attempt, [property: Id(1)] DateTimeOffset StartedAt) : TaskExecutionEvent;

[GenerateSerializer, Immutable, Alias("flyte.AttemptSucceeded")]
public sealed record AttemptSucceeded([property: Id(0)] int Attempt, [property: Id(1)] string OutputsJson) : TaskExecutionEvent;

/// <param name="Kind">Failed, TimedOut, or Lost (the process or pod disappeared with its silo or node).</param>
/// <param name="WillRetry">Whether another attempt follows.</param>
[GenerateSerializer, Immutable, Alias("flyte.AttemptFailed")]
public sealed record AttemptFailed(
    [property: Id(0)] int Attempt,
    [property: Id(1)] AttemptFailure Kind,
    [property: Id(2)] string Error,
    [property: Id(3)] int? ExitCode,
    [property: Id(4)] bool WillRetry) : TaskExecutionEvent;

[GenerateSerializer, Alias("flyte.AttemptFailure")]
public enum AttemptFailure
{
    Failed,
    TimedOut,
    Lost,
}

[GenerateSerializer, Immutable, Alias("flyte.RetryScheduled")]
public sealed record RetryScheduled([property: Id(0)] int Attempt, [property: Id(1)] DateTimeOffset NotBefore) : TaskExecutionEvent;

[GenerateSerializer, Immutable, Alias("flyte.TaskAborted")]
public sealed record TaskAborted([property: Id(0)] string Reason) : TaskExecutionEvent;

/// <summary>The attempt needs GPUs: it waits in the allocator's queue (phase WaitingForResources) until granted.</summary>
[GenerateSerializer, Immutable, Alias("flyte.ResourcesRequested")]
public sealed record ResourcesRequested(
    [property: Id(0)] int Attempt,
    [property: Id(1)] string AttemptId,
    [property: Id(2)] string? Profile,
    [property: Id(3)] string? DeviceClass,
    [property: Id(4)] int Count) : TaskExecutionEvent;

/// <summary>The allocator's lease for the attempt: these units on this node. Recorded with the attempt's launch.</summary>
[GenerateSerializer, Immutable, Alias("flyte.ResourcesGranted")]
public sealed record ResourcesGranted(
    [property: Id(0)] int Attempt,
    [property: Id(1)] string Node,
    [property: Id(2)] IReadOnlyList<string> UnitIds,
    [property: Id(3)] string ResourceName) : TaskExecutionEvent;

/// <summary>The attempt ended and its lease went back to the allocator.</summary>
[GenerateSerializer, Immutable, Alias("flyte.ResourcesReleased")]
public sealed record ResourcesReleased([property: Id(0)] int Attempt) : TaskExecutionEvent;
