using Microsoft.Extensions.Logging;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Grains.Hosting;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>Hands status changes pushed by the runner to the task grain that owns the attempt.</summary>
public sealed class AttemptStatusForwarder(IGrainFactory grains, ILogger<AttemptStatusForwarder> log) : IAttemptStatusSink
{
    public async Task OnAttemptChangedAsync(AttemptStatus status)
    {
        if (!ExecutionKeys.TryParseAttempt(status.AttemptId, out var taskKey, out _))
        {
            log.LogWarning("Ignoring a status for {AttemptId}, which is not an attempt id of this platform", status.AttemptId);
            return;
        }

        // If this call is lost (silo stopping), the workflow's reminder resumes the task, which asks the runner again.
        await grains.Get<ITaskExecutionGrain>(taskKey).OnAttemptStatus(status);
    }
}
