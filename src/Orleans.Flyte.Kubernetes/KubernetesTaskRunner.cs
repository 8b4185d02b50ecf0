using System.Collections.Concurrent;
using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Kubernetes;

/// <summary>
/// Runs each attempt as one pod (built by <see cref="PodBuilder"/>) named deterministically from its attempt id, in
/// the namespace of its project/domain.
/// <para>Idempotent per attempt id: launching creates the pod, and when it exists already (409 Conflict: a replayed step,
/// another silo, a restarted silo) adopts that pod instead; there is never a twin. Every namespace the runner has used
/// is watched by a <see cref="PodWatch"/>, and every phase change is pushed to the <see cref="IAttemptStatusSink"/>
/// through the attempt's <see cref="AttemptStatusPublisher"/>. A status only moves forward (Pending, Running, terminal)
/// and the first terminal verdict stands, so the order in which the watch and a launch see a pod does not matter.</para>
/// <para>A pod that is gone while its attempt was not finished (deleted by someone, its node removed) reports the
/// attempt <see cref="AttemptPhase.Lost"/>; an attempt with no pod that this runner never saw is
/// <see cref="AttemptPhase.Unknown"/>, as with the local runner. Finished pods are deleted after
/// <see cref="KubernetesOptions.PodRetention"/>; the runner remembers their verdict, so a launch of a finished attempt
/// returns it instead of running the task again (after a silo restart that memory is gone: keep the retention above the
/// engine's reminder period, so a restarted engine finds the pod).</para>
/// </summary>
public sealed partial class KubernetesTaskRunner : ITaskRunner, IRunnerLoad, IAsyncDisposable, IPodWatchListener
{
    private const string PodDeletedError = "the pod was deleted before its task finished";

    private readonly ConcurrentDictionary<string, PodAttempt> _attempts = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly PodWatch _watch;
    private readonly IKubernetes _client;
    private readonly KubernetesOptions _options;
    private readonly IAttemptStatusSink _sink;
    private readonly TimeProvider _clock;
    private readonly ILogger<KubernetesTaskRunner> _log;
    private readonly ArtifactStore? _artifacts;

    public string RunnerName => "kubernetes";

    public int RunningAttempts => _attempts.Values.Count(a => !a.Current.IsTerminal);

    /// <param name="artifacts">The artifact store, on the volume the pods mount; needed by tasks with file or directory outputs.</param>
    public KubernetesTaskRunner(
        IKubernetes client, IOptions<KubernetesOptions> options, IAttemptStatusSink sink, TimeProvider clock, ILogger<KubernetesTaskRunner> log,
        ArtifactStore? artifacts = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _artifacts = artifacts;
        _client = client;
        _options = options.Value;
        _sink = sink;
        _clock = clock;
        _log = log;
        _watch = new PodWatch(client, _options, this, clock, log);
    }

    /// <summary>How many times a watch was answered 410 Gone and the namespace listed again (for tests and metrics).</summary>
    public int Resyncs => _watch.Resyncs;

    IEnumerable<PodAttempt> IPodWatchListener.Attempts => _attempts.Values;

    /// <inheritdoc />
    public async Task<AttemptStatus> LaunchAsync(AttemptLaunch launch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        var ns = PodNames.Namespace(_options.NamespacePattern, launch.Project, launch.Domain);
        var name = PodNames.Pod(launch.AttemptId, launch.ExecutionId, launch.NodeId, launch.Attempt);
        _watch.Ensure(ns);
        if (_attempts.TryGetValue(launch.AttemptId, out var known) && known.Current.IsTerminal)
        {
            return known.Current;
        }

        V1Pod pod;
        try
        {
            pod = PodBuilder.Build(launch, ns, name, _options);
        }
        catch (ArgumentException ex)
        {
            return Decide(Track(launch.AttemptId, ns, name), new AttemptStatus(launch.AttemptId, AttemptPhase.Failed, Error: ex.Message, FinishedAt: _clock.GetUtcNow()));
        }

        V1Pod actual;
        try
        {
            actual = await _client.CoreV1.CreateNamespacedPodAsync(pod, ns, cancellationToken: cancellationToken);
            _log.LogInformation("Attempt {AttemptId}: created pod {Namespace}/{Pod}", launch.AttemptId, ns, name);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict)
        {
            actual = await _client.CoreV1.ReadNamespacedPodAsync(name, ns, cancellationToken: cancellationToken);
            if (PodStatusMapper.AttemptId(actual) != launch.AttemptId)
            {
                return Decide(Track(launch.AttemptId, ns, name), new AttemptStatus(launch.AttemptId, AttemptPhase.Failed,
                    Error: $"pod {ns}/{name} exists but belongs to attempt '{PodStatusMapper.AttemptId(actual)}'", FinishedAt: _clock.GetUtcNow()));
            }

            _log.LogInformation("Attempt {AttemptId}: adopted existing pod {Namespace}/{Pod}", launch.AttemptId, ns, name);
        }
        catch (HttpOperationException ex) when ((int)ex.Response.StatusCode is >= 400 and < 500 and not 429)
        {
            // Rejected for good (invalid spec, missing namespace, forbidden by quota or policy): the user must act.
            var error = $"Kubernetes refused pod {ns}/{name} ({(int)ex.Response.StatusCode}): {ApiMessage(ex)}";
            return Decide(Track(launch.AttemptId, ns, name), new AttemptStatus(launch.AttemptId, AttemptPhase.Failed, Error: error, FinishedAt: _clock.GetUtcNow()));
        }

        return Observe(actual, deleted: false) ?? new AttemptStatus(launch.AttemptId, AttemptPhase.Pending);
    }

    /// <inheritdoc />
    public async Task<AttemptStatus> GetStatusAsync(string attemptId, CancellationToken cancellationToken = default)
    {
        if (_attempts.TryGetValue(attemptId, out var tracked))
        {
            return tracked.Current;
        }

        if (Locate(attemptId) is not var (ns, name))
        {
            return new AttemptStatus(attemptId, AttemptPhase.Unknown);
        }

        _watch.Ensure(ns);
        var pod = await ReadAsync(ns, name, cancellationToken);
        return pod is not null && PodStatusMapper.AttemptId(pod) == attemptId
            ? Observe(pod, deleted: false) ?? new AttemptStatus(attemptId, AttemptPhase.Unknown)
            : new AttemptStatus(attemptId, AttemptPhase.Unknown);
    }

    /// <summary>Records the attempt as <see cref="AttemptPhase.Terminated"/> with <paramref name="reason"/> (unless it had
    /// already finished) and deletes its pod. A no-op for attempts without a pod.</summary>
    public async Task TerminateAsync(string attemptId, string reason, CancellationToken cancellationToken = default)
    {
        var tracked = _attempts.TryGetValue(attemptId, out var t) ? t : null;
        var location = tracked is not null ? (tracked.Namespace, tracked.PodName) : Locate(attemptId);
        if (location is not var (ns, name))
        {
            return;
        }

        tracked ??= Track(attemptId, ns, name);
        Decide(tracked, new AttemptStatus(attemptId, AttemptPhase.Terminated, Error: reason, FinishedAt: _clock.GetUtcNow()));
        await DeletePodAsync(ns, name, attemptId, cancellationToken);
    }

    /// <summary>The container's log tail (stdout and stderr interleaved, as Kubernetes keeps them) while the pod exists.</summary>
    public async Task<AttemptLogs?> GetLogsAsync(string attemptId, CancellationToken cancellationToken = default)
    {
        var tracked = _attempts.TryGetValue(attemptId, out var t) ? t : null;
        var location = tracked is not null ? (tracked.Namespace, tracked.PodName) : Locate(attemptId);
        if (location is not var (ns, name))
        {
            return null;
        }

        try
        {
            await using var stream = await _client.CoreV1.ReadNamespacedPodLogAsync(name, ns, container: PodBuilder.ContainerName, limitBytes: _options.MaxLogBytes, cancellationToken: cancellationToken);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var text = await reader.ReadToEndAsync(cancellationToken);
            return new AttemptLogs(attemptId, text, string.Empty, Encoding.UTF8.GetByteCount(text) >= _options.MaxLogBytes);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
        {
            // 404: no pod (any more); 400: its container has not started yet.
            return tracked is null ? null : new AttemptLogs(attemptId, string.Empty, $"no logs: {ApiMessage(ex)}", false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        foreach (var tracked in _attempts.Values)
        {
            tracked.StopTimers();
        }

        await _watch.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary>Namespace and pod name of an attempt of this platform, from its id alone.</summary>
    private (string Namespace, string Pod)? Locate(string attemptId)
    {
        if (!ExecutionKeys.TryParseAttempt(attemptId, out var taskKey, out var attempt))
        {
            return null;
        }

        var (project, domain, executionId, nodeId) = ExecutionKeys.ParseTask(taskKey);
        return (PodNames.Namespace(_options.NamespacePattern, project, domain), PodNames.Pod(attemptId, executionId, nodeId, attempt));
    }

    private PodAttempt Track(string attemptId, string ns, string name) =>
        _attempts.GetOrAdd(attemptId, id => new PodAttempt(id, ns, name, _clock.GetUtcNow(), new AttemptStatusPublisher(_sink, _log)));

    void IPodWatchListener.Vanished(PodAttempt attempt) =>
        Decide(attempt, new AttemptStatus(attempt.AttemptId, AttemptPhase.Lost, Error: PodDeletedError, FinishedAt: _clock.GetUtcNow()));

    AttemptStatus? IPodWatchListener.Observe(V1Pod pod, bool deleted) => Observe(pod, deleted);

    /// <summary>Applies what a pod says to its attempt; null when the pod is not one of this platform's attempts.</summary>
    private AttemptStatus? Observe(V1Pod pod, bool deleted)
    {
        if (PodStatusMapper.AttemptId(pod) is not { } id || pod.Metadata?.NamespaceProperty is not { } ns || pod.Metadata.Name is not { } name)
        {
            return null;
        }

        var tracked = Track(id, ns, name);
        var status = PodStatusMapper.Map(pod);
        if (status.Phase == AttemptPhase.Succeeded && PodStatusMapper.ArtifactOutputs(pod) is { Count: > 0 } artifactOutputs)
        {
            // The verdict waits for the outputs to be stored; until then the attempt stays where it is.
            lock (tracked.Gate)
            {
                if (!tracked.Current.IsTerminal)
                {
                    tracked.Collecting ??= CollectAsync(tracked, status, artifactOutputs);
                }

                return tracked.Current;
            }
        }
        if (deleted && !status.IsTerminal)
        {
            status = new AttemptStatus(id, AttemptPhase.Lost, Error: PodDeletedError, StartedAt: status.StartedAt, FinishedAt: _clock.GetUtcNow());
        }

        lock (tracked.Gate)
        {
            tracked.LastSeen = _clock.GetUtcNow();
            tracked.PodGone |= deleted;
            if (status.Phase == AttemptPhase.Pending && !tracked.Current.IsTerminal)
            {
                tracked.PendingReason = PodStatusMapper.PendingReason(pod);
                if (tracked.PendingTimer is null && tracked.Current.Phase is AttemptPhase.Pending)
                {
                    var created = pod.Metadata.CreationTimestamp is { } c ? new DateTimeOffset(DateTime.SpecifyKind(c, DateTimeKind.Utc)) : _clock.GetUtcNow();
                    var due = created + _options.PendingTimeout - _clock.GetUtcNow();
                    tracked.PendingTimer = _clock.CreateTimer(_ => _ = PendingTooLongAsync(tracked), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
                }
            }
        }

        return Decide(tracked, status);
    }

    /// <summary>Moves the attempt forward to <paramref name="status"/> if that is progress, publishes the change, and
    /// schedules the pod's deletion once terminal. Returns the attempt's status after it.</summary>
    private AttemptStatus Decide(PodAttempt tracked, AttemptStatus status)
    {
        bool changed;
        bool deleteNow = false;
        lock (tracked.Gate)
        {
            changed = tracked.Current.Precedes(status);
            if (changed)
            {
                tracked.Current = status;
                if (status.IsTerminal)
                {
                    tracked.PendingTimer?.Dispose();
                    tracked.PendingTimer = null;
                    if (!tracked.PodGone && tracked.RetentionTimer is null)
                    {
                        if (_options.PodRetention <= TimeSpan.Zero)
                        {
                            deleteNow = true;
                        }
                        else
                        {
                            tracked.RetentionTimer = _clock.CreateTimer(_ => _ = DeletePodAsync(tracked.Namespace, tracked.PodName, tracked.AttemptId, CancellationToken.None), null, _options.PodRetention, Timeout.InfiniteTimeSpan);
                        }
                    }
                }
                else if (status.Phase == AttemptPhase.Running)
                {
                    tracked.PendingTimer?.Dispose();
                    tracked.PendingTimer = null;
                }

                tracked.Publisher.Publish(status);
            }

            status = tracked.Current;
        }

        if (changed)
        {
            _log.LogInformation("Attempt {AttemptId} {Phase} {Error}", status.AttemptId, status.Phase, status.Error);
        }

        if (deleteNow && status.Phase != AttemptPhase.Terminated)
        {
            _ = DeletePodAsync(tracked.Namespace, tracked.PodName, tracked.AttemptId, CancellationToken.None);
        }

        return status;
    }

    /// <summary>The pending timeout fired: the pod is read afresh (the watch may lag) for the latest reason, then the
    /// attempt fails with it and the pod is deleted.</summary>
    private async Task PendingTooLongAsync(PodAttempt tracked)
    {
        lock (tracked.Gate)
        {
            if (tracked.Current.Phase != AttemptPhase.Pending)
            {
                return;
            }
        }

        string? reason = null;
        try
        {
            if (await ReadAsync(tracked.Namespace, tracked.PodName, _stopping.Token) is { } pod)
            {
                if (Observe(pod, deleted: false) is { Phase: not AttemptPhase.Pending })
                {
                    return;
                }

                reason = PodStatusMapper.PendingReason(pod);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _log.LogWarning(ex, "Attempt {AttemptId}: could not read its pending pod", tracked.AttemptId);
        }

        lock (tracked.Gate)
        {
            reason ??= tracked.PendingReason ?? "the pod never started";
        }

        var error = $"the pod was still pending after {_options.PendingTimeout}: {reason}";
        var status = Decide(tracked, new AttemptStatus(tracked.AttemptId, AttemptPhase.Failed, Error: error, FinishedAt: _clock.GetUtcNow()));
        if (_options.PodRetention > TimeSpan.Zero && status.Error == error)
        {
            // A pod that never started has nothing worth keeping, and left alone it could still start later.
            await DeletePodAsync(tracked.Namespace, tracked.PodName, tracked.AttemptId, CancellationToken.None);
        }
    }

    private async Task DeletePodAsync(string ns, string name, string attemptId, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(name, ns, gracePeriodSeconds: _options.DeleteGracePeriodSeconds, cancellationToken: cancellationToken);
            _log.LogInformation("Attempt {AttemptId}: deleted pod {Namespace}/{Pod}", attemptId, ns, name);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Gone already.
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _log.LogWarning(ex, "Attempt {AttemptId}: could not delete pod {Namespace}/{Pod}", attemptId, ns, name);
        }

        if (_attempts.TryGetValue(attemptId, out var tracked))
        {
            lock (tracked.Gate)
            {
                tracked.PodGone = true;
            }
        }
    }

    private async Task<V1Pod?> ReadAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.CoreV1.ReadNamespacedPodAsync(name, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static string ApiMessage(HttpOperationException ex)
    {
        var content = ex.Response.Content;
        try
        {
            if (!string.IsNullOrWhiteSpace(content) && KubernetesJson.Deserialize<V1Status>(content) is { Message: { } message })
            {
                return message;
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not a Status object.
        }

        return string.IsNullOrWhiteSpace(content) ? ex.Message : content;
    }
}
