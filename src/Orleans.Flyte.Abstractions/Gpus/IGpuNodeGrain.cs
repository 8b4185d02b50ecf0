using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Abstractions.Gpus;

/// <summary>One GPU node's inventory and condition. Key: the node name.</summary>
[Alias("flyte.IGpuNodeGrain")]
public interface IGpuNodeGrain : IGrainWithStringKey
{
    /// <summary>An inventory source saw the node (idempotent). <paramref name="schedulable"/> false cordons it on the
    /// source's behalf; true lifts only a cordon that source made.</summary>
    [Alias("Sync")]
    Task<GpuNodeView> Sync(GpuNodeInventory inventory, bool schedulable, string source);

    [Alias("Remove")]
    Task<GpuNodeView?> Remove(string source);

    /// <summary>Nothing new is placed on the node; with <paramref name="drain"/> it is marked for maintenance.</summary>
    [Alias("Cordon")]
    Task<GpuNodeView?> Cordon(string reason, bool drain);

    [Alias("Uncordon")]
    Task<GpuNodeView?> Uncordon(string reason);

    [Alias("Get")]
    Task<GpuNodeView?> Get();
}
