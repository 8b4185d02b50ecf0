using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Kubernetes;

/// <summary>What <see cref="KubernetesTaskRunner"/> knows of one attempt and its pod. Mutable state is guarded by
/// <see cref="Gate"/>; the status only moves forward (<see cref="AttemptStatus.Precedes"/>), and every move is published
/// through <see cref="Publisher"/> under the same lock, so the sink hears the moves in the order they were made.</summary>
internal sealed class PodAttempt(string attemptId, string ns, string podName, DateTimeOffset seen, AttemptStatusPublisher publisher)
{
    public Lock Gate { get; } = new();

    public string AttemptId { get; } = attemptId;

    public string Namespace { get; } = ns;

    public string PodName { get; } = podName;

    public AttemptStatusPublisher Publisher { get; } = publisher;

    public AttemptStatus Current { get; set; } = new(attemptId, AttemptPhase.Unknown);

    /// <summary>When a launch, the watch or a list last saw the pod.</summary>
    public DateTimeOffset LastSeen { get; set; } = seen;

    public bool PodGone { get; set; }

    public string? PendingReason { get; set; }

    public ITimer? PendingTimer { get; set; }

    public ITimer? RetentionTimer { get; set; }

    /// <summary>Set once the pod exited 0 with file or directory outputs: their collection from the artifact volume,
    /// started once, whose result is the attempt's verdict.</summary>
    public Task? Collecting { get; set; }

    /// <summary>True, and the pod marked gone, when this attempt's pod in <paramref name="ns"/> should have been in a list
    /// begun at <paramref name="listedAt"/> but was not: the attempt was under way and seen before the list began, so its
    /// pod was deleted while nobody watched.</summary>
    public bool VanishedFrom(string ns, IReadOnlySet<string> listed, DateTimeOffset listedAt)
    {
        lock (Gate)
        {
            var vanished = Namespace == ns && !listed.Contains(AttemptId) && !Current.IsTerminal
                && Current.Phase != AttemptPhase.Unknown && LastSeen < listedAt;
            PodGone |= vanished;
            return vanished;
        }
    }

    public void StopTimers()
    {
        lock (Gate)
        {
            PendingTimer?.Dispose();
            RetentionTimer?.Dispose();
        }
    }
}
