using Microsoft.Extensions.Logging;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Kubernetes;

/// <summary>File and directory outputs of a pod: written by the task to its folder of the shared artifact volume
/// (<see cref="PodBuilder.OutputFolder"/>), which the silo sees under <see cref="ArtifactStore.Root"/>, and stored by hash
/// before the attempt's verdict is published.</summary>
public sealed partial class KubernetesTaskRunner
{
    /// <summary>Stores the pod's file and directory outputs from its folder of the artifact volume, then decides.</summary>
    private async Task CollectAsync(PodAttempt tracked, AttemptStatus succeeded, IReadOnlyDictionary<string, ParameterType> declared)
    {
        await Task.Yield(); // not under the attempt's lock
        AttemptStatus verdict;
        if (_artifacts is null)
        {
            verdict = succeeded with { Phase = AttemptPhase.Failed, OutputsJson = null, Permanent = true,
                Error = "task exited 0 but its file or directory outputs cannot be collected: this silo has no artifact store" };
        }
        else
        {
            try
            {
                verdict = await ArtifactContract.CollectOutputsAsync(
                    _artifacts, succeeded, declared, Path.Combine(_artifacts.Root, PodBuilder.OutputFolder(tracked.PodName)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _log.LogWarning(ex, "Attempt {AttemptId}: could not collect its outputs", tracked.AttemptId);
                verdict = succeeded with { Phase = AttemptPhase.Failed, OutputsJson = null, Error = $"task exited 0 but its outputs could not be collected: {ex.Message}" };
            }
        }

        Decide(tracked, verdict);
    }
}
