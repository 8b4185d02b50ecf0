using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Grains.Gpus;

/// <summary>
/// Tells the holder of a granted request that its GPUs are ready, after the grant is durable. Fire and forget: the
/// allocator never waits on a holder, and a holder that misses the news re-asks on its own. The executions side
/// implements it (<c>TaskGrantNotifier</c>), so the allocator never depends on it.
/// </summary>
public interface IGpuGrantNotifier
{
    /// <summary>Called inside the allocator's turn; must not block.</summary>
    void Granted(IGrainFactory grains, GpuLeaseRequest request);
}
