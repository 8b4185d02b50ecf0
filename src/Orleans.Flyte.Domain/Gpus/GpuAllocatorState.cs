using System.Text.Json.Serialization;
using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Gpus;

/// <summary>
/// The fold of the allocator's events: the nodes as last reported, the waiting queue in arrival order, the leases
/// and who holds each unit, and the quotas. Decisions are made by <see cref="GpuScheduler"/> over this state.
/// <para>[JsonInclude] lets a stream snapshot (the state at a version, for as-of reads of this long stream) round-trip
/// through JSON with the setters kept private.</para>
/// </summary>
[GenerateSerializer, Alias("flyte.GpuAllocatorState")]
public sealed class GpuAllocatorState : IEventSourcedState<GpuAllocatorEvent>
{
    /// <summary>How many ended request ids are remembered, so a late duplicate request is not queued again.</summary>
    public const int RememberedEndings = 20_000;

    [Id(0), JsonInclude] public Dictionary<string, GpuNodeSnapshot> Nodes { get; private set; } = new(StringComparer.Ordinal);
    [Id(1), JsonInclude] public Dictionary<string, WaitingRequest> Waiting { get; private set; } = new(StringComparer.Ordinal);
    [Id(2), JsonInclude] public Dictionary<string, GpuLease> Leases { get; private set; } = new(StringComparer.Ordinal);

    /// <summary><see cref="UnitKey"/> → request id of the lease holding it.</summary>
    [Id(3), JsonInclude] public Dictionary<string, string> Holders { get; private set; } = new(StringComparer.Ordinal);

    /// <summary><see cref="QuotaKey"/> → limit.</summary>
    [Id(4), JsonInclude] public Dictionary<string, int> Quotas { get; private set; } = new(StringComparer.Ordinal);

    /// <summary><see cref="QuotaKey"/> → units held now.</summary>
    [Id(5), JsonInclude] public Dictionary<string, int> InUse { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>Project → units held now (fair share between projects).</summary>
    [Id(6), JsonInclude] public Dictionary<string, int> HeldByProject { get; private set; } = new(StringComparer.Ordinal);

    [Id(7), JsonInclude] public Dictionary<string, string> Ended { get; private set; } = new(StringComparer.Ordinal);
    [Id(8), JsonInclude] public Queue<string> EndedOrder { get; private set; } = new();
    [Id(9), JsonInclude] public long Arrivals { get; private set; }

    public static string UnitKey(string node, string unitId) => $"{node}|{unitId}";

    public static string QuotaKey(string project, string domain, string resource) => $"{project}/{domain}|{resource}";

    public void Apply(GpuAllocatorEvent @event)
    {
        switch (@event)
        {
            case GpuRequestQueued e:
                Waiting[e.Request.RequestId] = new WaitingRequest(e.Request, e.Meta.At, ++Arrivals, e.Meta.Responsible);
                break;
            // A grant of a unit someone holds is refused (the request keeps waiting): the grain records grants only if the
            // stream did not move since it decided, so this takes a split brain that wrote past that check, and even then
            // a unit is never held twice. GpuLeaseAudit still names such an event in the history.
            case GpuLeaseGranted e when e.UnitIds.Any(u => Holders.ContainsKey(UnitKey(e.Node, u))):
                break;
            case GpuLeaseGranted e when Waiting.Remove(e.RequestId, out var waiting):
                var lease = new GpuLease(waiting.Request, e.Node, e.UnitIds, e.ResourceName, e.Meta.At, waiting.Since, waiting.Principal);
                Leases[e.RequestId] = lease;
                foreach (var unit in e.UnitIds)
                {
                    Holders[UnitKey(e.Node, unit)] = e.RequestId;
                }

                Add(InUse, QuotaKey(lease.Request.Project, lease.Request.Domain, lease.Request.Shape.QuotaResource), e.UnitIds.Count);
                Add(HeldByProject, lease.Request.Project, e.UnitIds.Count);
                break;
            case GpuLeaseReleased e when Leases.Remove(e.RequestId, out var released):
                foreach (var unit in released.UnitIds)
                {
                    Holders.Remove(UnitKey(released.Node, unit));
                }

                Add(InUse, QuotaKey(released.Request.Project, released.Request.Domain, released.Request.Shape.QuotaResource), -released.UnitIds.Count);
                Add(HeldByProject, released.Request.Project, -released.UnitIds.Count);
                Remember(e.RequestId, "released: " + e.Reason);
                break;
            case GpuRequestCancelled e when Waiting.Remove(e.RequestId):
                Remember(e.RequestId, "cancelled: " + e.Reason);
                break;
            case GpuQuotaChanged e:
                var key = QuotaKey(e.Project, e.Domain, e.Resource);
                if (e.Limit is { } limit)
                {
                    Quotas[key] = limit;
                }
                else
                {
                    Quotas.Remove(key);
                }

                break;
            case GpuNodeObserved e:
                Nodes[e.Node.Node] = e.Node;
                break;
        }
    }

    /// <summary>The explicit quota of a project/domain for a resource, if one is set.</summary>
    public int? Quota(string project, string domain, string resource) =>
        Quotas.TryGetValue(QuotaKey(project, domain, resource), out var limit) ? limit : null;

    public int Used(string project, string domain, string resource) =>
        InUse.TryGetValue(QuotaKey(project, domain, resource), out var used) ? used : 0;

    public bool IsHeld(string node, string unitId) => Holders.ContainsKey(UnitKey(node, unitId));

    private void Remember(string requestId, string how)
    {
        Ended[requestId] = how;
        EndedOrder.Enqueue(requestId);
        while (EndedOrder.Count > RememberedEndings)
        {
            Ended.Remove(EndedOrder.Dequeue());
        }
    }

    private static void Add(Dictionary<string, int> counts, string key, int delta)
    {
        var value = (counts.TryGetValue(key, out var current) ? current : 0) + delta;
        if (value == 0)
        {
            counts.Remove(key);
        }
        else
        {
            counts[key] = value;
        }
    }
}

/// <param name="Arrival">Order of arrival (1, 2, ...): the queue's tie-breaker.</param>
/// <param name="Principal">Whom the request was made for: the principal recorded on its <see cref="GpuRequestQueued"/> (the
/// one it was made on behalf of, where a component made it for someone).</param>
[GenerateSerializer, Immutable, Alias("flyte.WaitingRequest")]
public sealed record WaitingRequest(
    [property: Id(0)] GpuLeaseRequest Request,
    [property: Id(1)] DateTimeOffset Since,
    [property: Id(2)] long Arrival,
    [property: Id(3)] string? Principal = null);

/// <param name="Since">When the lease was granted.</param>
/// <param name="RequestedAt">When the request was queued (the wait is <c>Since - RequestedAt</c>).</param>
/// <param name="Principal">Whom the lease is held for (<see cref="WaitingRequest.Principal"/>).</param>
[GenerateSerializer, Immutable, Alias("flyte.GpuLease")]
public sealed record GpuLease(
    [property: Id(0)] GpuLeaseRequest Request,
    [property: Id(1)] string Node,
    [property: Id(2)] IReadOnlyList<string> UnitIds,
    [property: Id(3)] string ResourceName,
    [property: Id(4)] DateTimeOffset Since,
    [property: Id(5)] DateTimeOffset RequestedAt,
    [property: Id(6)] string? Principal = null);
