using k8s.Models;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Kubernetes;

/// <summary>What a <see cref="PodWatch"/> reports to: the runner, which owns the attempts.</summary>
internal interface IPodWatchListener
{
    /// <summary>The attempts the runner knows, in every namespace (read live, while launches add to them).</summary>
    IEnumerable<PodAttempt> Attempts { get; }

    /// <summary>Applies what a listed or watched pod says to its attempt; returns the attempt's status after it, or null
    /// when the pod is not one of this platform's attempts.</summary>
    AttemptStatus? Observe(V1Pod pod, bool deleted);

    /// <summary>The attempt's pod vanished while nobody watched (<see cref="PodAttempt.VanishedFrom"/>): it is lost.</summary>
    void Vanished(PodAttempt attempt);
}
