using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Grains.Gpus;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>Asks the attempt's task execution grain (an interleaving read, so it never deadlocks with a task that is
/// itself waiting on the allocator).</summary>
public sealed class TaskAttemptLiveness : IGpuLeaseLiveness
{
    public async Task<string?> CheckAsync(IGrainFactory grains, GpuLeaseRequest request)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(request);
        var task = grains.GetGrain<ITaskExecutionGrain>(ExecutionKeys.Task(request.Project, request.Domain, request.ExecutionId, request.NodeId));
        return await task.HoldsAttempt(request.RequestId) ? null : $"attempt {request.RequestId} has ended or no longer exists";
    }
}
