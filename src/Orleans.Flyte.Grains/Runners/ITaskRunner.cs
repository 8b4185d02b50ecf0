namespace Orleans.Flyte.Grains.Runners;

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
}

/// <summary>
/// Receives status changes pushed by a runner (process exit, pod watch). The silo forwards them to the
/// task execution grain; grains also poll <see cref="ITaskRunner.GetStatusAsync"/> on their reminder tick,
/// so a lost notification only delays, never loses, a transition.
/// </summary>
public interface IAttemptStatusSink
{
    Task OnAttemptChangedAsync(AttemptStatus status);
}

/// <summary>Everything a runner needs to start one attempt.</summary>
/// <param name="AttemptId">Unique and stable: <c>{project}.{domain}.{executionId}.{nodeId}.{attempt}</c>; names the pod or work directory.</param>
/// <param name="InputsJson">The attempt's resolved inputs as a JSON object.</param>
/// <param name="Gpu">The allocator's grant; empty until GPUs are allocated.</param>
public sealed record AttemptLaunch(
    string AttemptId,
    string Project,
    string Domain,
    string ExecutionId,
    string NodeId,
    int Attempt,
    string Image,
    IReadOnlyList<string> Command,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Env,
    string InputsJson,
    IReadOnlyList<string> OutputNames,
    string? Cpu,
    string? Memory,
    GpuGrant Gpu,
    TimeSpan? Timeout);

/// <summary>The GPU devices or MIG slices granted to one attempt.</summary>
/// <param name="Node">The node the grant is on (the pod is pinned there).</param>
/// <param name="DeviceIds">GPU UUIDs or MIG instance UUIDs, as the process sees them in CUDA_VISIBLE_DEVICES.</param>
/// <param name="ResourceName">e.g. <c>nvidia.com/gpu</c> or <c>nvidia.com/mig-3g.20gb</c>.</param>
[GenerateSerializer, Immutable, Alias("flyte.GpuGrant")]
public sealed record GpuGrant(
    [property: Id(0)] string? Node,
    [property: Id(1)] IReadOnlyList<string> DeviceIds,
    [property: Id(2)] string? ResourceName)
{
    public static readonly GpuGrant None = new(null, [], null);

    public bool IsEmpty => DeviceIds.Count == 0;
}

[GenerateSerializer, Alias("flyte.AttemptPhase")]
public enum AttemptPhase
{
    /// <summary>The runner has no trace of the attempt.</summary>
    Unknown,
    Pending,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Terminated,

    /// <summary>The runner knows the attempt was started but its process or pod is gone without a result
    /// (it died with its silo or node). The engine retries such attempts.</summary>
    Lost,
}

/// <param name="OutputsJson">On success: the JSON object the task wrote.</param>
/// <param name="Error">On failure: what went wrong, in words a user can act on (exit code and stderr tail, OOMKilled, ...).</param>
[GenerateSerializer, Immutable, Alias("flyte.AttemptStatus")]
public sealed record AttemptStatus(
    [property: Id(0)] string AttemptId,
    [property: Id(1)] AttemptPhase Phase,
    [property: Id(2)] int? ExitCode = null,
    [property: Id(3)] string? OutputsJson = null,
    [property: Id(4)] string? Error = null,
    [property: Id(5)] DateTimeOffset? StartedAt = null,
    [property: Id(6)] DateTimeOffset? FinishedAt = null)
{
    public bool IsTerminal => Phase is AttemptPhase.Succeeded or AttemptPhase.Failed or AttemptPhase.TimedOut or AttemptPhase.Terminated or AttemptPhase.Lost;
}

[GenerateSerializer, Immutable, Alias("flyte.AttemptLogs")]
public sealed record AttemptLogs(
    [property: Id(0)] string AttemptId,
    [property: Id(1)] string Stdout,
    [property: Id(2)] string Stderr,
    [property: Id(3)] bool Truncated);
