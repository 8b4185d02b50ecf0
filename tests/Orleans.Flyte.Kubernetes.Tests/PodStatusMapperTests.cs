using k8s.Models;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Kubernetes.Tests;

/// <summary>Which pod failures are permanent (fail at once, no retry) and which may pass on another try.</summary>
public sealed class PodStatusMapperTests
{
    [Theory]
    [InlineData("InvalidImageName", "couldn't parse image reference \"Registry.local/ML:x\"")]
    [InlineData("ErrImagePull", "rpc error: manifest unknown: manifest unknown")]
    [InlineData("ImagePullBackOff", "Back-off pulling image \"registry.local/ml/train:9\": not found")]
    [InlineData("ErrImagePull", "pull access denied for ml/train, repository does not exist")]
    public void An_image_that_cannot_exist_fails_the_attempt_at_once_as_permanent(string reason, string message)
    {
        var status = PodStatusMapper.Map(Waiting(reason, message));

        status.Phase.Should().Be(AttemptPhase.Failed);
        status.Permanent.Should().BeTrue();
        status.Error.Should().StartWith(reason).And.Contain(message);
    }

    [Theory]
    [InlineData("ErrImagePull", "dial tcp 10.0.0.5:443: connect: connection refused")]
    [InlineData("ImagePullBackOff", "Back-off pulling image \"registry.local/ml/train:1.4\"")]
    [InlineData("ContainerCreating", null)]
    public void A_pull_that_may_pass_later_stays_pending(string reason, string? message) =>
        PodStatusMapper.Map(Waiting(reason, message)).Phase.Should().Be(AttemptPhase.Pending);

    [Fact]
    public void A_missing_executable_is_permanent_and_an_exit_code_is_not()
    {
        var missing = PodStatusMapper.Map(Terminated("StartError", 128,
            "failed to create containerd task: exec: \"trian.py\": executable file not found in $PATH"));
        var exited = PodStatusMapper.Map(Terminated("Error", 1, "Traceback ..."));

        missing.Phase.Should().Be(AttemptPhase.Failed);
        missing.Permanent.Should().BeTrue();
        missing.Error.Should().Contain("executable file not found");
        exited.Phase.Should().Be(AttemptPhase.Failed);
        exited.Permanent.Should().BeFalse("a task that exits 1 may pass on another try");
    }

    private static V1Pod Pod(string phase, V1ContainerState state) => new()
    {
        Metadata = new V1ObjectMeta { Name = "e1-train-1-abcd1234", Annotations = new Dictionary<string, string> { [PodNames.AttemptIdAnnotation] = "a.b.c.d.1" } },
        Status = new V1PodStatus
        {
            Phase = phase,
            ContainerStatuses = [new V1ContainerStatus { Name = PodBuilder.ContainerName, Image = "x", ImageID = string.Empty, Ready = false, RestartCount = 0, State = state }],
        },
    };

    private static V1Pod Waiting(string reason, string? message) =>
        Pod("Pending", new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message } });

    private static V1Pod Terminated(string reason, int exitCode, string message) =>
        Pod("Failed", new V1ContainerState { Terminated = new V1ContainerStateTerminated { Reason = reason, ExitCode = exitCode, Message = message } });
}
