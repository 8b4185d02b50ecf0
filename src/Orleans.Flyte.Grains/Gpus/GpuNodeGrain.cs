using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Grains.Gpus;

/// <summary>
/// One GPU node: its devices and MIG layout as the inventory source reports them, and whether new work may go there.
/// Every change is an event, then reported to the allocator (which records what it saw, so its decisions replay).
/// Who holds which slice is the allocator's to say: one write per grant instead of one per node and slice.
/// </summary>
public sealed class GpuNodeGrain(IEventStreamStore store, TimeProvider clock)
    : EventSourcedGrain<GpuNodeState, GpuNodeEvent>(store, clock), IGpuNodeGrain
{
    private new GpuNodeState State => TentativeState;

    protected override StreamAddress Stream => StreamAddress.Cluster($"gpu/node/{this.GetPrimaryKeyString()}");

    /// <summary>A node lives as long as the cluster, and inventory sync and cordons add to its stream all along.</summary>
    protected override bool TakesSnapshots => true;

    public async Task<GpuNodeView> Sync(GpuNodeInventory inventory, bool schedulable, string source)
    {
        if (!string.Equals(inventory.Node, this.GetPrimaryKeyString(), StringComparison.Ordinal))
        {
            throw new ArgumentException($"Inventory of node '{inventory.Node}' sent to node grain '{this.GetPrimaryKeyString()}'.", nameof(inventory));
        }

        if (!State.Exists || State.Gone)
        {
            RaiseEvent(Stamp(new GpuNodeRegistered(inventory, source)));
        }
        else if (!State.Inventory!.Equivalent(inventory))
        {
            RaiseEvent(Stamp(new GpuNodeInventoryChanged(inventory, source)));
        }

        if (!schedulable && State.CordonedBy is null)
        {
            RaiseEvent(Stamp(new GpuNodeCordoned(source, Drain: false), $"{source} reports the node unschedulable"));
        }
        else if (schedulable && string.Equals(State.CordonedBy, source, StringComparison.Ordinal))
        {
            RaiseEvent(Stamp(new GpuNodeUncordoned(source), $"{source} reports the node schedulable again"));
        }

        await ConfirmEvents();
        await Report();
        return View()!;
    }

    public async Task<GpuNodeView?> Remove(string source)
    {
        if (!State.Exists || State.Gone)
        {
            return View();
        }

        await Record(new GpuNodeRemoved(source));
        await Report();
        return View();
    }

    public async Task<GpuNodeView?> Cordon(string reason, bool drain)
    {
        if (!State.Exists)
        {
            return null;
        }

        if (State.CordonedBy is null || State.Draining != drain || State.CordonReason != reason)
        {
            await Record(new GpuNodeCordoned(GpuInventorySources.Admin, drain), reason);
            await Report();
        }

        return View();
    }

    public async Task<GpuNodeView?> Uncordon(string reason)
    {
        if (!State.Exists)
        {
            return null;
        }

        if (State.CordonedBy is not null)
        {
            await Record(new GpuNodeUncordoned(GpuInventorySources.Admin), reason);
            await Report();
        }

        return View();
    }

    public Task<GpuNodeView?> Get() => Task.FromResult(View());

    private Task Report() =>
        State.Snapshot is { } snapshot
            ? GrainFactory.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key).NodeChanged(snapshot)
            : Task.CompletedTask;

    private GpuNodeView? View() =>
        State.Snapshot is { } snapshot ? new GpuNodeView(snapshot, State.Source, State.CordonedBy, State.ChangedAt) : null;
}
