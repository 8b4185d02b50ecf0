using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Grains.Gpus;

/// <summary>Decides whether a lease's attempt still needs it. Null: yes; otherwise why not. Leases are held by task
/// attempts, which the executions side implements (<c>TaskAttemptLiveness</c>), so the allocator never depends on it.</summary>
public interface IGpuLeaseLiveness
{
    Task<string?> CheckAsync(IGrainFactory grains, GpuLeaseRequest request);
}
