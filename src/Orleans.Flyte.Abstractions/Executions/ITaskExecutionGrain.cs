using Orleans.Concurrency;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Abstractions.Executions;

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
