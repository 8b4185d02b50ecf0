using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Grains.Gpus;

/// <summary>Builds the capacity answer: every node, device and slice with its holder, the queue with reasons, totals, quotas.
/// The live allocator and the as-of read (<see cref="Audit.MartenAuditLog.CapacityAsOfAsync(DateTimeOffset, CancellationToken)"/>) both answer
/// through it, from the same fold, so the two cannot differ in shape.</summary>
internal static class GpuCapacityView
{
    public static GpuCapacity Of(GpuAllocatorState state, GpuAllocatorPolicy policy, DateTimeOffset now, GpuOptions options)
    {
        var nodes = state.Nodes.Values.OrderBy(n => n.Node, StringComparer.Ordinal).ToList();
        var resources = new Dictionary<string, (int Total, int Free, int Held, int Unavailable)>(StringComparer.Ordinal);
        var capacityNodes = new List<CapacityNode>(nodes.Count);
        foreach (var node in nodes)
        {
            var devices = new List<CapacityDevice>();
            foreach (var device in node.Inventory.Devices)
            {
                if (device.MigEnabled)
                {
                    var slices = device.Slices.Select(s => new CapacitySlice(s.Id, s.Profile, Holder(state, node.Node, s.Id))).ToList();
                    foreach (var slice in slices)
                    {
                        Count(resources, slice.Profile, slice.HeldBy is not null, node.Schedulable);
                    }

                    devices.Add(new CapacityDevice(device.Id, device.Index, device.Model, device.DeviceClass, device.MemoryGb, true, null, slices));
                }
                else
                {
                    var holder = Holder(state, node.Node, device.Id);
                    Count(resources, device.DeviceClass, holder is not null, node.Schedulable);
                    devices.Add(new CapacityDevice(device.Id, device.Index, device.Model, device.DeviceClass, device.MemoryGb, false, holder, []));
                }
            }

            capacityNodes.Add(new CapacityNode(node.Node, node.Condition.ToString(), node.Reason, devices));
        }

        var queue = GpuScheduler.QueueOrder(state, policy, now)
            .Select((q, i) =>
            {
                var r = q.Waiting.Request;
                var reason = GpuScheduler.Explain(state, policy, r.RequestId, now, q.Position)!;
                return new CapacityQueueEntry(i + 1, r.RequestId, r.Project, r.Domain, r.ExecutionId, r.NodeId, r.Attempt,
                    r.Shape.ToString(), q.Priority, q.Waiting.Since, reason, r.Shape.UnitName, q.Waiting.Principal);
            })
            .ToList();
        var waitingByKind = state.Waiting.Values
            .GroupBy(w => w.Request.Shape.UnitName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(w => w.Request.Count), StringComparer.Ordinal);

        var quotas = state.Quotas
            .Select(q =>
            {
                var (scope, resource) = SplitQuotaKey(q.Key);
                var (project, domain) = SplitScope(scope);
                return new CapacityQuota(project, domain, resource, q.Value, state.Used(project, domain, resource), false);
            })
            .Concat(options.DefaultQuotas.SelectMany(d => d.Value.Select(r => new CapacityQuota("*", d.Key, r.Key, r.Value, 0, true))))
            .OrderBy(q => q.Project, StringComparer.Ordinal).ThenBy(q => q.Domain, StringComparer.Ordinal).ThenBy(q => q.Resource, StringComparer.Ordinal)
            .ToList();

        return new GpuCapacity(
            now,
            [.. resources.OrderBy(r => r.Key, StringComparer.Ordinal)
                .Select(r => new CapacityResource(r.Key, r.Value.Total, r.Value.Free, r.Value.Held, r.Value.Unavailable, waitingByKind.GetValueOrDefault(r.Key)))],
            capacityNodes,
            queue,
            quotas);
    }

    private static void Count(Dictionary<string, (int Total, int Free, int Held, int Unavailable)> resources, string kind, bool held, bool schedulable)
    {
        var (total, free, heldCount, unavailable) = resources.GetValueOrDefault(kind);
        resources[kind] = (total + 1, free + (!held && schedulable ? 1 : 0), heldCount + (held ? 1 : 0), unavailable + (!held && !schedulable ? 1 : 0));
    }

    private static LeaseHolder? Holder(GpuAllocatorState state, string node, string unit)
    {
        if (!state.Holders.TryGetValue(GpuAllocatorState.UnitKey(node, unit), out var requestId) || !state.Leases.TryGetValue(requestId, out var lease))
        {
            return null;
        }

        var r = lease.Request;
        return new LeaseHolder(r.Project, r.Domain, r.ExecutionId, r.NodeId, r.Attempt, r.RequestId, lease.Since, lease.Principal);
    }

    private static (string Scope, string Resource) SplitQuotaKey(string key)
    {
        var bar = key.LastIndexOf('|');
        return (key[..bar], key[(bar + 1)..]);
    }

    private static (string Project, string Domain) SplitScope(string scope)
    {
        var slash = scope.IndexOf('/', StringComparison.Ordinal);
        return (scope[..slash], scope[(slash + 1)..]);
    }
}
