using System.Collections.Concurrent;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Kubernetes.Tests;

/// <summary>Records every status a runner pushes.</summary>
public sealed class RecordingStatusSink : IAttemptStatusSink
{
    public ConcurrentQueue<AttemptStatus> Received { get; } = new();

    public Task OnAttemptChangedAsync(AttemptStatus status)
    {
        Received.Enqueue(status);
        return Task.CompletedTask;
    }

    public Task<AttemptStatus> WaitFor(string attemptId, AttemptPhase phase) => WaitFor(attemptId, s => s.Phase == phase, phase.ToString());

    public async Task<AttemptStatus> WaitFor(string attemptId, Func<AttemptStatus, bool> condition, string what) => (await Eventually.Until(
        () => Task.FromResult(Received.Where(s => s.AttemptId == attemptId && condition(s)).Take(1).ToList()),
        found => found.Count > 0,
        $"{attemptId} to report {what}",
        TimeSpan.FromSeconds(20),
        describe: _ => $"got {string.Join(", ", Received.Where(s => s.AttemptId == attemptId).Select(s => s.Phase))}"))[0];
}

public static class Attempts
{
    public static AttemptLaunch Launch(
        string executionId = "e0000000000000000001",
        string nodeId = "train",
        int attempt = 1,
        string? cpu = "2",
        string? memory = "4Gi",
        GpuGrant? gpu = null,
        TimeSpan? timeout = null,
        string inputsJson = """{"epochs":3,"dataset":"s3://bucket/d"}""",
        IReadOnlyList<string>? outputs = null) =>
        new(
            $"lab.development.{executionId}.{nodeId}.{attempt}",
            "lab",
            "development",
            executionId,
            nodeId,
            attempt,
            "registry.local/ml/train:1.4",
            ["python", "train.py"],
            ["--fast"],
            new Dictionary<string, string> { ["SEED"] = "7", ["CUDA_VISIBLE_DEVICES"] = "0,1,2,3" },
            inputsJson,
            outputs ?? ["model_uri"],
            cpu,
            memory,
            gpu ?? GpuGrant.None,
            timeout);

    public static string PodName(AttemptLaunch launch) => PodNames.Pod(launch.AttemptId, launch.ExecutionId, launch.NodeId, launch.Attempt);

    public static KubernetesTaskRunner Runner(FakeKubernetesApi api, IAttemptStatusSink sink, Action<KubernetesOptions>? configure = null)
    {
        var options = new KubernetesOptions { PodRetention = TimeSpan.Zero, WatchRetryDelay = TimeSpan.FromMilliseconds(100) };
        configure?.Invoke(options);
        return new KubernetesTaskRunner(api.Client(), Options.Create(options), sink, TimeProvider.System, NullLogger<KubernetesTaskRunner>.Instance);
    }

    /// <summary>Plays the kubelet: the task container runs.</summary>
    public static void Run(this FakeKubernetesApi api, string ns, string name) => api.UpdatePod(ns, name, pod =>
    {
        pod.Status.Phase = "Running";
        pod.Status.StartTime = DateTime.UtcNow;
        pod.Status.ContainerStatuses = [new V1ContainerStatus { Name = "task", Image = pod.Spec.Containers[0].Image, ImageID = "sha", Ready = true, RestartCount = 0, State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = DateTime.UtcNow } } }];
    });

    /// <summary>Plays the kubelet: the task container ends with <paramref name="exitCode"/> and termination message.</summary>
    public static void Finish(this FakeKubernetesApi api, string ns, string name, int exitCode, string? message, string? reason = null, string? podReason = null) => api.UpdatePod(ns, name, pod =>
    {
        pod.Status.Phase = exitCode == 0 && podReason is null ? "Succeeded" : "Failed";
        pod.Status.Reason = podReason;
        pod.Status.ContainerStatuses = [new V1ContainerStatus { Name = "task", Image = pod.Spec.Containers[0].Image, ImageID = "sha", Ready = false, RestartCount = 0, State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = exitCode, Message = message, Reason = reason ?? (exitCode == 0 ? "Completed" : "Error"), StartedAt = DateTime.UtcNow, FinishedAt = DateTime.UtcNow } } }];
    });
}
