using System.Text.Json.Serialization;
using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Gpus;

[GenerateSerializer, Immutable, Alias("flyte.GpuNodeEvent")]
public abstract record GpuNodeEvent : DomainEvent;

/// <param name="Source"><c>configuration</c> or <c>kubernetes</c>: who reported the node.</param>
[GenerateSerializer, Immutable, Alias("flyte.GpuNodeRegistered")]
public sealed record GpuNodeRegistered([property: Id(0)] GpuNodeInventory Inventory, [property: Id(1)] string Source) : GpuNodeEvent;

/// <summary>Devices came or went, or a GPU's MIG layout changed.</summary>
[GenerateSerializer, Immutable, Alias("flyte.GpuNodeInventoryChanged")]
public sealed record GpuNodeInventoryChanged([property: Id(0)] GpuNodeInventory Inventory, [property: Id(1)] string Source) : GpuNodeEvent;

/// <param name="By">Who cordoned: <c>admin</c> (the API) or the inventory source (Kubernetes <c>spec.unschedulable</c>).</param>
/// <param name="Drain">True for a drain: cordoned for maintenance until its leases end.</param>
[GenerateSerializer, Immutable, Alias("flyte.GpuNodeCordoned")]
public sealed record GpuNodeCordoned([property: Id(0)] string By, [property: Id(1)] bool Drain) : GpuNodeEvent;

[GenerateSerializer, Immutable, Alias("flyte.GpuNodeUncordoned")]
public sealed record GpuNodeUncordoned([property: Id(0)] string By) : GpuNodeEvent;

/// <summary>The node left the inventory; a later registration brings it back.</summary>
[GenerateSerializer, Immutable, Alias("flyte.GpuNodeRemoved")]
public sealed record GpuNodeRemoved([property: Id(0)] string Source) : GpuNodeEvent;

/// <summary>The fold of one node's events ([JsonInclude]: it round-trips through a stream snapshot).</summary>
[GenerateSerializer, Alias("flyte.GpuNodeState")]
public sealed class GpuNodeState : IEventSourcedState<GpuNodeEvent>
{
    [Id(0), JsonInclude] public GpuNodeInventory? Inventory { get; private set; }
    [Id(1), JsonInclude] public string? Source { get; private set; }
    [Id(2), JsonInclude] public string? CordonedBy { get; private set; }
    [Id(3), JsonInclude] public string? CordonReason { get; private set; }
    [Id(4), JsonInclude] public bool Draining { get; private set; }
    [Id(5), JsonInclude] public bool Gone { get; private set; }
    [Id(6), JsonInclude] public DateTimeOffset? ChangedAt { get; private set; }

    public bool Exists => Inventory is not null;

    public GpuNodeCondition Condition =>
        Gone ? GpuNodeCondition.Gone
        : CordonedBy is null ? GpuNodeCondition.Schedulable
        : Draining ? GpuNodeCondition.Draining
        : GpuNodeCondition.Cordoned;

    public GpuNodeSnapshot? Snapshot => Inventory is null ? null : new GpuNodeSnapshot(Inventory, Condition, Gone ? $"removed by {Source}" : CordonReason);

    public void Apply(GpuNodeEvent @event)
    {
        ChangedAt = @event.Meta.At;
        switch (@event)
        {
            case GpuNodeRegistered e:
                Inventory = e.Inventory;
                Source = e.Source;
                Gone = false;
                break;
            case GpuNodeInventoryChanged e:
                Inventory = e.Inventory;
                Source = e.Source;
                break;
            case GpuNodeCordoned e:
                CordonedBy = e.By;
                CordonReason = e.Meta.Reason;
                Draining = e.Drain;
                break;
            case GpuNodeUncordoned:
                CordonedBy = null;
                CordonReason = null;
                Draining = false;
                break;
            case GpuNodeRemoved e:
                Gone = true;
                Source = e.Source;
                break;
        }
    }
}
