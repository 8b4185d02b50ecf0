using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Grains.Gpus;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>Tells the waiting attempt's task execution grain one-way (<see cref="ITaskExecutionGrain.OnGpuGranted"/>).</summary>
public sealed class TaskGrantNotifier : IGpuGrantNotifier
{
    public void Granted(IGrainFactory grains, GpuLeaseRequest request)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(request);
        grains.GetGrain<ITaskExecutionGrain>(ExecutionKeys.Task(request.Project, request.Domain, request.ExecutionId, request.NodeId))
            .OnGpuGranted(request.RequestId)
            .Ignore();
    }
}
