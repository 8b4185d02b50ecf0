using Orleans.Concurrency;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Grains.Runners;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>One workflow execution: drives its DAG to a terminal phase. Key: <c>project/domain/executionId</c>.</summary>
[Alias("flyte.IWorkflowExecutionGrain")]
public interface IWorkflowExecutionGrain : IGrainWithStringKey
{
    /// <summary>Accepts the submission durably (idempotent for the same submission) and starts driving it
    /// in the background; returns as soon as the submission is stored.</summary>
    [Alias("Create")]
    Task<CreateOutcome> Create(CreateExecution command);

    [Alias("Get")]
    Task<ExecutionView?> Get();

    /// <summary>What was submitted (plan, inputs, options): the basis of relaunch and recover. Null when absent.</summary>
    [Alias("GetSubmission")]
    Task<ExecutionAccepted?> GetSubmission();

    /// <summary>Stops every running node (killing their processes) and ends in Aborted. Idempotent.</summary>
    [Alias("Abort")]
    Task<ExecutionView> Abort(string reason);

    /// <summary>A task node reached a terminal phase. One-way: a task never waits on its workflow, so the two
    /// can never deadlock; a lost notification is recovered by the workflow's reminder.</summary>
    [OneWay, Alias("OnNodeCompleted")]
    Task OnNodeCompleted(NodeCompletion completion);
}

/// <summary>One node of one execution: its attempts on the runner. Key: <c>project/domain/executionId/nodeId</c>.</summary>
[Alias("flyte.ITaskExecutionGrain")]
public interface ITaskExecutionGrain : IGrainWithStringKey
{
    /// <summary>Queues the task durably and launches it in the background. Idempotent.</summary>
    [Alias("Start")]
    Task Start(StartTask command);

    /// <summary>Kills the running attempt, if any, and ends in Aborted. Idempotent; returns the final view.</summary>
    [Alias("Abort")]
    Task<TaskExecutionView> Abort(string reason);

    /// <summary>A status pushed by the runner (process exit, pod watch).</summary>
    [Alias("OnAttemptStatus")]
    Task OnAttemptStatus(AttemptStatus status);

    /// <summary>Re-checks the runner and carries on where the events left off (after a crash); returns the view.</summary>
    [Alias("Resume")]
    Task<TaskExecutionView> Resume();

    [Alias("Get")]
    Task<TaskExecutionView?> Get();

    [Alias("GetLogs")]
    Task<AttemptLogs?> GetLogs(int attempt);

    /// <summary>The allocator granted the GPUs of a waiting attempt. One-way: the allocator never waits on a task.</summary>
    [OneWay, Alias("OnGpuGranted")]
    Task OnGpuGranted(string attemptId);

    /// <summary>Whether the attempt still needs its GPUs (waiting for them, or running). Interleaves, so the allocator
    /// can ask while this grain is itself waiting on the allocator.</summary>
    [AlwaysInterleave, Alias("HoldsAttempt")]
    Task<bool> HoldsAttempt(string attemptId);
}

/// <summary>
/// Keys carry project and domain because an execution's streams live in its project/domain tenant, and a
/// grain must know its stream before it has read anything. Project, domain, execution and node ids are DNS
/// labels (no '.' or '/'), which keeps every key below unambiguous to parse.
/// </summary>
public static class ExecutionKeys
{
    public static string Workflow(string project, string domain, string executionId) => $"{project}/{domain}/{executionId}";

    public static string Task(string project, string domain, string executionId, string nodeId) => $"{project}/{domain}/{executionId}/{nodeId}";

    /// <summary>Stable and DNS-subdomain-safe: names the pod or work directory of one attempt.</summary>
    public static string Attempt(string project, string domain, string executionId, string nodeId, int attempt) =>
        $"{project}.{domain}.{executionId}.{nodeId}.{attempt.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The task grain key an attempt id belongs to.</summary>
    public static bool TryParseAttempt(string attemptId, out string taskKey, out int attempt)
    {
        taskKey = string.Empty;
        attempt = 0;
        var parts = attemptId.Split('.');
        if (parts.Length != 5 || parts.Any(p => p.Length == 0)
            || !int.TryParse(parts[4], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out attempt))
        {
            return false;
        }

        taskKey = Task(parts[0], parts[1], parts[2], parts[3]);
        return true;
    }

    public static (string Project, string Domain, string ExecutionId) ParseWorkflow(string key)
    {
        var parts = key.Split('/');
        return parts.Length == 3
            ? (parts[0], parts[1], parts[2])
            : throw new ArgumentException($"'{key}' is not a workflow execution key (project/domain/execution).", nameof(key));
    }

    public static (string Project, string Domain, string ExecutionId, string NodeId) ParseTask(string key)
    {
        var parts = key.Split('/');
        return parts.Length == 4
            ? (parts[0], parts[1], parts[2], parts[3])
            : throw new ArgumentException($"'{key}' is not a task execution key (project/domain/execution/node).", nameof(key));
    }
}

/// <param name="Inputs">Workflow inputs as a JSON object (already type-checked and defaulted).</param>
[GenerateSerializer, Immutable, Alias("flyte.CreateExecution")]
public sealed record CreateExecution(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] ExecutionPlan Plan,
    [property: Id(3)] string InputsJson,
    [property: Id(4)] string? IdempotencyKey,
    [property: Id(5)] bool OverwriteCache,
    [property: Id(6)] string? RelaunchOf,
    [property: Id(7)] string? RecoverOf,
    [property: Id(8)] IReadOnlyDictionary<string, string> RecoveredOutputs,
    [property: Id(9)] string? LaunchPlan,
    [property: Id(10)] DateTimeOffset? ScheduledAt,
    [property: Id(11)] int Priority = 0);

public enum CreateStatus
{
    Created,
    AlreadyExists,

    /// <summary>The execution id (from an idempotency key) is taken by a different submission.</summary>
    Conflict,
}

[GenerateSerializer, Immutable, Alias("flyte.CreateOutcome")]
public sealed record CreateOutcome([property: Id(0)] CreateStatus Status, [property: Id(1)] ExecutionView Execution);

[GenerateSerializer, Immutable, Alias("flyte.NodeCompletion")]
public sealed record NodeCompletion(
    [property: Id(0)] string NodeId,
    [property: Id(1)] TaskPhase Phase,
    [property: Id(2)] string? OutputsJson,
    [property: Id(3)] string? Error,
    [property: Id(4)] bool CacheHit);

[GenerateSerializer, Immutable, Alias("flyte.StartTask")]
public sealed record StartTask(
    [property: Id(0)] string ExecutionId,
    [property: Id(1)] string NodeId,
    [property: Id(2)] string Project,
    [property: Id(3)] string Domain,
    [property: Id(4)] string Task,
    [property: Id(5)] string TaskSpec,
    [property: Id(6)] string InputsJson,
    [property: Id(7)] bool OverwriteCache,
    [property: Id(8)] int Priority = 0);

[GenerateSerializer, Immutable, Alias("flyte.ExecutionView")]
public sealed record ExecutionView(
    [property: Id(0)] string ExecutionId,
    [property: Id(1)] string Project,
    [property: Id(2)] string Domain,
    [property: Id(3)] string Workflow,
    [property: Id(4)] WorkflowPhase Phase,
    [property: Id(5)] string InputsJson,
    [property: Id(6)] string? OutputsJson,
    [property: Id(7)] string? Error,
    [property: Id(8)] DateTimeOffset CreatedAt,
    [property: Id(9)] string CreatedBy,
    [property: Id(10)] DateTimeOffset? StartedAt,
    [property: Id(11)] DateTimeOffset? FinishedAt,
    [property: Id(12)] IReadOnlyList<NodeView> Nodes,
    [property: Id(13)] string? RelaunchOf,
    [property: Id(14)] string? RecoverOf,
    [property: Id(15)] string? LaunchPlan,
    [property: Id(16)] DateTimeOffset? ScheduledAt);

[GenerateSerializer, Immutable, Alias("flyte.NodeView")]
public sealed record NodeView(
    [property: Id(0)] string NodeId,
    [property: Id(1)] string Task,
    [property: Id(2)] TaskPhase Phase,
    [property: Id(3)] string? InputsJson,
    [property: Id(4)] string? OutputsJson,
    [property: Id(5)] string? Error,
    [property: Id(6)] bool CacheHit,
    [property: Id(7)] string? RecoveredFrom,
    [property: Id(8)] DateTimeOffset? ReadyAt,
    [property: Id(9)] DateTimeOffset? FinishedAt);

[GenerateSerializer, Immutable, Alias("flyte.TaskExecutionView")]
public sealed record TaskExecutionView(
    [property: Id(0)] string ExecutionId,
    [property: Id(1)] string NodeId,
    [property: Id(2)] TaskPhase Phase,
    [property: Id(3)] string? OutputsJson,
    [property: Id(4)] string? Error,
    [property: Id(5)] bool CacheHit,
    [property: Id(6)] IReadOnlyList<AttemptView> Attempts,
    [property: Id(7)] GpuWaitReason? Waiting = null,
    [property: Id(8)] DateTimeOffset? WaitingSince = null);

[GenerateSerializer, Immutable, Alias("flyte.AttemptView")]
public sealed record AttemptView(
    [property: Id(0)] int Attempt,
    [property: Id(1)] string AttemptId,
    [property: Id(2)] string Outcome,
    [property: Id(3)] DateTimeOffset LaunchedAt,
    [property: Id(4)] DateTimeOffset? StartedAt,
    [property: Id(5)] DateTimeOffset? FinishedAt,
    [property: Id(6)] string? Error,
    [property: Id(7)] int? ExitCode,
    [property: Id(8)] GpuGrant? Gpu = null);
