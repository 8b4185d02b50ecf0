using System.Globalization;
using System.Text.Json;
using k8s.Models;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Kubernetes;

/// <summary>Reads what a pod says about its attempt: phase, outputs and, on failure, the real reason.</summary>
public static class PodStatusMapper
{
    /// <summary>Waiting reasons that no amount of waiting fixes: the attempt fails at once.</summary>
    private static readonly HashSet<string> s_permanentWaiting = new(StringComparer.Ordinal)
    {
        "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError",
    };

    /// <summary>What a registry says when an image is not there (as opposed to unreachable): pulling again cannot help.</summary>
    private static readonly string[] s_missingImage =
    [
        "manifest unknown", "not found", "repository does not exist", "pull access denied", "invalid reference format",
    ];

    /// <summary>Pod failure reasons that are the node's doing, not the task's: the attempt is lost and retried.</summary>
    private static readonly HashSet<string> s_lostReasons = new(StringComparer.Ordinal)
    {
        "Evicted", "NodeLost", "Shutdown", "NodeShutdown", "Terminated", "Preempting", "UnexpectedAdmissionError",
    };

    public static AttemptStatus Map(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var id = AttemptId(pod) ?? pod.Metadata?.Name ?? string.Empty;
        var status = pod.Status;
        var container = Container(pod);
        var terminated = container?.State?.Terminated;
        var started = ToOffset(container?.State?.Running?.StartedAt ?? terminated?.StartedAt ?? status?.StartTime);
        var finished = ToOffset(terminated?.FinishedAt);
        switch (status?.Phase)
        {
            case "Running":
                return new AttemptStatus(id, AttemptPhase.Running, StartedAt: started);
            case "Succeeded":
                return Succeeded(pod, id, terminated, started, finished);
            case "Failed":
                return Failed(pod, id, terminated, started, finished);
            default:
                var waiting = container?.State?.Waiting;
                if (waiting?.Reason is { } reason && (s_permanentWaiting.Contains(reason) || ImageDoesNotExist(reason, waiting.Message)))
                {
                    return new AttemptStatus(id, AttemptPhase.Failed, Error: $"{reason}: {waiting.Message}".TrimEnd(' ', ':'), Permanent: true);
                }

                return new AttemptStatus(id, AttemptPhase.Pending);
        }
    }

    /// <summary>An image pull failed because the image does not exist; a registry that is down or slow stays pending
    /// (until <c>PendingTimeout</c>), as a later pull may succeed.</summary>
    private static bool ImageDoesNotExist(string reason, string? message) =>
        reason is "ErrImagePull" or "ImagePullBackOff"
        && message is not null && s_missingImage.Any(m => message.Contains(m, StringComparison.OrdinalIgnoreCase));

    /// <summary>Why a pod is still pending, in the words Kubernetes uses (Unschedulable, ImagePullBackOff, ...).</summary>
    public static string PendingReason(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        if (Container(pod)?.State?.Waiting is { Reason: { } reason } waiting)
        {
            return Join(reason, waiting.Message);
        }

        var scheduled = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        if (scheduled is { Status: "False" })
        {
            return Join(scheduled.Reason ?? "Unschedulable", scheduled.Message);
        }

        return pod.Status?.Reason is { } podReason ? Join(podReason, pod.Status.Message) : "the pod never started";
    }

    public static string? AttemptId(V1Pod pod) =>
        pod?.Metadata?.Annotations is { } annotations && annotations.TryGetValue(PodNames.AttemptIdAnnotation, out var id) ? id : null;

    /// <summary>Exit code 0 is success only with the declared outputs in the termination message (the task contract's
    /// rule; the names travel in an annotation, so an adopted pod is judged the same way).</summary>
    private static AttemptStatus Succeeded(V1Pod pod, string id, V1ContainerStateTerminated? terminated, DateTimeOffset? started, DateTimeOffset? finished)
    {
        // The kubelet cannot tell an empty termination message from none: both mean the task wrote nothing.
        var message = string.IsNullOrWhiteSpace(terminated?.Message) ? null : terminated.Message;
        return TaskContract.ExitedZero(id, message, ExpectedOutputs(pod), PodBuilder.Outputs, started, finished);
    }

    private static AttemptStatus Failed(V1Pod pod, string id, V1ContainerStateTerminated? terminated, DateTimeOffset? started, DateTimeOffset? finished)
    {
        var podReason = pod.Status?.Reason;
        var exitCode = terminated?.ExitCode;
        if (podReason == "DeadlineExceeded")
        {
            var deadline = pod.Spec?.ActiveDeadlineSeconds is { } seconds ? $" of {seconds.ToString(CultureInfo.InvariantCulture)}s" : string.Empty;
            return new AttemptStatus(id, AttemptPhase.TimedOut, exitCode, Error: $"DeadlineExceeded: the pod ran past its activeDeadlineSeconds{deadline}", StartedAt: started, FinishedAt: finished);
        }

        if (podReason is not null && s_lostReasons.Contains(podReason))
        {
            return new AttemptStatus(id, AttemptPhase.Lost, exitCode, Error: Join($"pod {podReason}", pod.Status?.Message), StartedAt: started, FinishedAt: finished);
        }

        if (terminated is null)
        {
            return new AttemptStatus(id, AttemptPhase.Failed, Error: Join(podReason ?? "pod failed", pod.Status?.Message), StartedAt: started, FinishedAt: finished);
        }

        if (terminated.Reason is "StartError" or "ContainerCannotRun"
            && terminated.Message?.Contains("executable file not found", StringComparison.OrdinalIgnoreCase) == true)
        {
            return new AttemptStatus(id, AttemptPhase.Failed, exitCode, Error: Join(terminated.Reason, Tail(terminated.Message)),
                StartedAt: started, FinishedAt: finished, Permanent: true);
        }

        var code = exitCode.GetValueOrDefault().ToString(CultureInfo.InvariantCulture);
        var error = terminated.Reason == "OOMKilled"
            ? $"OOMKilled (exit code {code}): the task used more than its memory limit{MemoryLimit(pod)}"
            : Join($"exit code {code}{(terminated.Reason is { } r && r != "Error" ? $" ({r})" : string.Empty)}", Tail(terminated.Message));
        return new AttemptStatus(id, AttemptPhase.Failed, exitCode, Error: error, StartedAt: started, FinishedAt: finished);
    }

    private static string MemoryLimit(V1Pod pod) =>
        pod.Spec?.Containers?.FirstOrDefault(c => c.Name == PodBuilder.ContainerName)?.Resources?.Limits is { } limits
        && limits.TryGetValue("memory", out var memory) ? $" of {memory}" : string.Empty;

    /// <summary>The file and directory outputs the pod's annotation declares (name → type); empty when none.</summary>
    public static IReadOnlyDictionary<string, ParameterType> ArtifactOutputs(V1Pod pod)
    {
        var result = new Dictionary<string, ParameterType>(StringComparer.Ordinal);
        if (pod?.Metadata?.Annotations is not { } annotations || !annotations.TryGetValue(PodNames.ArtifactOutputsAnnotation, out var json))
        {
            return result;
        }

        try
        {
            foreach (var (name, text) in JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [])
            {
                if (ParameterType.TryParse(text, out var type) && type.CarriesArtifacts)
                {
                    result[name] = type;
                }
            }
        }
        catch (JsonException)
        {
            // Not ours to judge: the pod then succeeds on its termination message alone.
        }

        return result;
    }

    private static List<string> ExpectedOutputs(V1Pod pod)
    {
        if (pod.Metadata?.Annotations is not { } annotations || !annotations.TryGetValue(PodNames.OutputsAnnotation, out var json))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<string>>(json) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static V1ContainerStatus? Container(V1Pod pod) =>
        pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == PodBuilder.ContainerName)
        ?? pod.Status?.ContainerStatuses?.FirstOrDefault();

    private static string Join(string reason, string? message) =>
        string.IsNullOrWhiteSpace(message) ? reason : $"{reason}: {message.Trim()}";

    private static string? Tail(string? text)
    {
        const int max = 4000;
        return text is { Length: > max } ? "…" + text[^max..] : text;
    }

    private static DateTimeOffset? ToOffset(DateTime? time) =>
        time is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
}
