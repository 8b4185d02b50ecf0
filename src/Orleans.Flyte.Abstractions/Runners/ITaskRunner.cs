namespace Orleans.Flyte.Abstractions.Runners;

/// <summary>
/// Runs one attempt of one task node: a local process in the embedded default, a pod on Kubernetes.
/// Every call is keyed by <see cref="AttemptLaunch.AttemptId"/> and idempotent, because a grain rebuilt
/// after a crash replays its last step: launching an attempt that already runs adopts it, never starts a
/// second copy; terminating one that is gone is a no-op.
/// </summary>
public interface ITaskRunner
{
    /// <summary>Starts the attempt (or adopts it if it already exists) and returns its current status.</summary>
    Task<AttemptStatus> LaunchAsync(AttemptLaunch launch, CancellationToken cancellationToken = default);

    /// <summary>The attempt's status; <see cref="AttemptPhase.Unknown"/> when this runner has no trace of it
    /// (never launched, or lost with a crashed silo).</summary>
    Task<AttemptStatus> GetStatusAsync(string attemptId, CancellationToken cancellationToken = default);

    /// <summary>Kills the attempt if it still runs. Idempotent.</summary>
    Task TerminateAsync(string attemptId, string reason, CancellationToken cancellationToken = default);

    /// <summary>Captured stdout and stderr of the attempt (tail when large); null when unknown.</summary>
    Task<AttemptLogs?> GetLogsAsync(string attemptId, CancellationToken cancellationToken = default);

    /// <summary>The engine has recorded the finished attempt's result and stored its log tail: the runner may drop what it
    /// keeps for it (a work directory). The engine never asks about the attempt again. Idempotent.</summary>
    Task ReleaseAsync(string attemptId, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
