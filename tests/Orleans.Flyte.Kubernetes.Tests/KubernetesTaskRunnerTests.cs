using k8s.Models;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Kubernetes.Tests;

/// <summary>The runner against the stand-in API server through the real KubernetesClient: watch, phases, reasons,
/// adoption, deletion, resync after 410 Gone.</summary>
public sealed class KubernetesTaskRunnerTests : IAsyncLifetime
{
    private const string Ns = "lab-development";
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);
    private FakeKubernetesApi _api = null!;
    private readonly RecordingStatusSink _sink = new();

    public async Task InitializeAsync() => _api = await FakeKubernetesApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task A_pod_is_watched_to_success_its_outputs_returned_and_the_pod_deleted()
    {
        await using var runner = Attempts.Runner(_api, _sink);
        var launch = Attempts.Launch();
        var name = Attempts.PodName(launch);
        await runner.LaunchAsync(launch);
        _api.SetLog(Ns, name, "epoch 1\nepoch 2\n");

        _api.Run(Ns, name);
        var running = await _sink.WaitFor(launch.AttemptId, AttemptPhase.Running);
        running.StartedAt.Should().NotBeNull();
        (await runner.GetLogsAsync(launch.AttemptId))!.Stdout.Should().Be("epoch 1\nepoch 2\n");

        _api.Finish(Ns, name, 0, """{"model_uri":"s3://models/1"}""");
        var succeeded = await _sink.WaitFor(launch.AttemptId, AttemptPhase.Succeeded);
        succeeded.OutputsJson.Should().Be("""{"model_uri":"s3://models/1"}""");
        await Eventually.Until(() => _api.Pod(Ns, name) is null, "the finished pod to be deleted", s_wait);
        (await runner.GetStatusAsync(launch.AttemptId)).Phase.Should().Be(AttemptPhase.Succeeded);
        (await runner.LaunchAsync(launch)).Phase.Should().Be(AttemptPhase.Succeeded, "a finished attempt is never run again");
        _api.CreateCalls.Should().Be(1);
        _sink.Received.Where(s => s.AttemptId == launch.AttemptId).Select(s => s.Phase).Should().Equal(AttemptPhase.Pending, AttemptPhase.Running, AttemptPhase.Succeeded);
    }

    [Fact]
    public async Task Finished_pods_are_kept_for_the_retention()
    {
        await using var runner = Attempts.Runner(_api, _sink, o => o.PodRetention = TimeSpan.FromHours(1));
        var launch = Attempts.Launch();
        var name = Attempts.PodName(launch);
        await runner.LaunchAsync(launch);
        _api.Finish(Ns, name, 0, """{"model_uri":"x"}""");
        await _sink.WaitFor(launch.AttemptId, AttemptPhase.Succeeded);
        _api.Pod(Ns, name).Should().NotBeNull();
    }

    [Fact]
    public async Task Failures_carry_the_real_reason()
    {
        await using var runner = Attempts.Runner(_api, _sink);
        var oom = Attempts.Launch(nodeId: "oom");
        var crash = Attempts.Launch(nodeId: "crash");
        var slow = Attempts.Launch(nodeId: "slow", timeout: TimeSpan.FromMinutes(1));
        var quiet = Attempts.Launch(nodeId: "quiet");
        foreach (var launch in new[] { oom, crash, slow, quiet })
        {
            await runner.LaunchAsync(launch);
        }

        _api.Finish(Ns, Attempts.PodName(oom), 137, null, reason: "OOMKilled");
        _api.Finish(Ns, Attempts.PodName(crash), 3, "Traceback: ValueError: bad dataset");
        _api.Finish(Ns, Attempts.PodName(slow), 137, null, podReason: "DeadlineExceeded");
        _api.Finish(Ns, Attempts.PodName(quiet), 0, null);

        (await _sink.WaitFor(oom.AttemptId, AttemptPhase.Failed)).Error.Should().Be("OOMKilled (exit code 137): the task used more than its memory limit of 4Gi");
        var crashed = await _sink.WaitFor(crash.AttemptId, AttemptPhase.Failed);
        crashed.Error.Should().Be("exit code 3: Traceback: ValueError: bad dataset");
        crashed.ExitCode.Should().Be(3);
        (await _sink.WaitFor(slow.AttemptId, AttemptPhase.TimedOut)).Error.Should().Contain("DeadlineExceeded").And.Contain("60s");
        (await _sink.WaitFor(quiet.AttemptId, AttemptPhase.Failed)).Error.Should().Be("task exited 0 but wrote no outputs to /dev/termination-log (expected outputs: model_uri)");
    }

    [Fact]
    public async Task A_pod_pending_too_long_fails_with_why_and_is_deleted()
    {
        await using var runner = Attempts.Runner(_api, _sink, o => o.PendingTimeout = TimeSpan.FromMilliseconds(500));
        var launch = Attempts.Launch();
        var name = Attempts.PodName(launch);
        await runner.LaunchAsync(launch);
        _api.UpdatePod(Ns, name, pod => pod.Status.Conditions =
            [new V1PodCondition { Type = "PodScheduled", Status = "False", Reason = "Unschedulable", Message = "0/3 nodes are available: 3 Insufficient nvidia.com/mig-3g.20gb." }]);

        var failed = await _sink.WaitFor(launch.AttemptId, AttemptPhase.Failed);
        failed.Error.Should().Contain("still pending").And.Contain("Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/mig-3g.20gb.");
        await Eventually.Until(() => _api.Pod(Ns, name) is null, "the pending pod to be deleted", s_wait);
    }

    [Fact]
    public async Task An_image_that_cannot_be_pulled_is_the_reason_when_pending_ends()
    {
        await using var runner = Attempts.Runner(_api, _sink, o => o.PendingTimeout = TimeSpan.FromMilliseconds(500));
        var launch = Attempts.Launch();
        await runner.LaunchAsync(launch);
        _api.UpdatePod(Ns, Attempts.PodName(launch), pod => pod.Status.ContainerStatuses =
            [new V1ContainerStatus { Name = "task", Image = "x", ImageID = string.Empty, Ready = false, RestartCount = 0, State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ImagePullBackOff", Message = "Back-off pulling image \"registry.local/ml/train:1.4\"" } } }]);

        (await _sink.WaitFor(launch.AttemptId, AttemptPhase.Failed)).Error.Should().Contain("ImagePullBackOff: Back-off pulling image");
    }

    [Fact]
    public async Task Terminate_deletes_the_running_pod()
    {
        await using var runner = Attempts.Runner(_api, _sink);
        var (launch, name) = await Running(runner);

        await runner.TerminateAsync(launch.AttemptId, "aborted by alice");

        _api.Pod(Ns, name).Should().BeNull();
        (await runner.GetStatusAsync(launch.AttemptId)).Should().Match<AttemptStatus>(s => s.Phase == AttemptPhase.Terminated && s.Error == "aborted by alice");
        await runner.TerminateAsync(launch.AttemptId, "again");
        await runner.TerminateAsync("lab.development.e0000000000000000009.none.1", "never launched");
    }

    [Fact]
    public async Task A_second_runner_adopts_the_existing_pod_instead_of_creating_a_twin()
    {
        var launch = Attempts.Launch();
        var name = Attempts.PodName(launch);
        await using (var first = Attempts.Runner(_api, _sink))
        {
            await first.LaunchAsync(launch);
        }

        _api.Run(Ns, name);
        var restartedSink = new RecordingStatusSink();
        await using var restarted = Attempts.Runner(_api, restartedSink);
        (await restarted.LaunchAsync(launch)).Phase.Should().Be(AttemptPhase.Running);
        _api.CreateCalls.Should().Be(2, "the second create was answered 409 Conflict");
        _api.Pods().Should().ContainSingle();

        _api.Finish(Ns, name, 0, """{"model_uri":"s3://m"}""");
        (await restartedSink.WaitFor(launch.AttemptId, AttemptPhase.Succeeded)).OutputsJson.Should().Contain("s3://m");
    }

    [Fact]
    public async Task A_pod_deleted_behind_the_runners_back_is_lost_and_an_unknown_attempt_is_unknown()
    {
        await using var runner = Attempts.Runner(_api, _sink);
        (await runner.GetStatusAsync("lab.development.e0000000000000000009.none.1")).Phase.Should().Be(AttemptPhase.Unknown);
        var (launch, name) = await Running(runner);

        using var client = (k8s.Kubernetes)_api.Client();
        await k8s.CoreV1OperationsExtensions.DeleteNamespacedPodAsync(client.CoreV1, name, Ns);

        (await _sink.WaitFor(launch.AttemptId, AttemptPhase.Lost)).Error.Should().Contain("deleted");
    }

    [Fact]
    public async Task A_watch_that_expires_with_410_Gone_relists_and_loses_no_transition()
    {
        await using var runner = Attempts.Runner(_api, _sink);
        var (launch, name) = await Running(runner);
        var listsBefore = _api.PodLists;

        // The watch ends, history is compacted, and the pod finishes while nobody watches: only a relist can tell.
        _api.ExpireWatches(() => _api.Finish(Ns, name, 0, """{"model_uri":"after-resync"}"""));

        (await _sink.WaitFor(launch.AttemptId, AttemptPhase.Succeeded)).OutputsJson.Should().Contain("after-resync");
        _api.GoneAnswers.Should().BeGreaterThan(0);
        _api.PodLists.Should().BeGreaterThan(listsBefore);
        runner.Resyncs.Should().BeGreaterThan(0);
    }

    /// <summary>Launches the default attempt and plays the kubelet until the runner reports it running.</summary>
    private async Task<(AttemptLaunch Launch, string Pod)> Running(KubernetesTaskRunner runner)
    {
        var launch = Attempts.Launch();
        var name = Attempts.PodName(launch);
        await runner.LaunchAsync(launch);
        _api.Run(Ns, name);
        await _sink.WaitFor(launch.AttemptId, AttemptPhase.Running);
        return (launch, name);
    }
}
