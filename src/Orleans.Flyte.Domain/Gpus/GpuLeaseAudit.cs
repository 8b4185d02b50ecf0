namespace Orleans.Flyte.Domain.Gpus;

/// <summary>
/// Replays the allocator's history and names every broken promise: a unit granted while held, on a node that was not
/// schedulable or does not have it, of the wrong kind or number; a quota exceeded; a lease released that was not held;
/// and a waiting request that fitted a free unit when the next request arrived (the allocator left capacity idle).
/// </summary>
public static class GpuLeaseAudit
{
    public static IReadOnlyList<string> Check(IReadOnlyList<GpuAllocatorEvent> history, GpuAllocatorPolicy policy)
    {
        var state = new GpuAllocatorState();
        var problems = new List<string>();
        for (var i = 0; i < history.Count; i++)
        {
            var @event = history[i];
            var at = $"event {i + 1} ({@event.GetType().Name})";
            if (@event is GpuRequestQueued or GpuQuotaChanged or GpuNodeObserved && i > 0)
            {
                // A new turn begins: the previous one must have granted everything that fitted when it decided. It
                // decided between its last event and this one, and ageing and reservations depend on the instant, so a
                // request counts as left idle only if it fitted at both ends of that span.
                Idle(state, policy, history[i - 1].Meta.At, @event.Meta.At, $"before {at}", problems);
            }

            switch (@event)
            {
                case GpuLeaseGranted e:
                    CheckGrant(state, policy, e, at, problems);
                    break;
                case GpuLeaseReleased e when !state.Leases.ContainsKey(e.RequestId):
                    problems.Add($"{at}: released {e.RequestId}, which held no lease");
                    break;
                case GpuRequestCancelled e when !state.Waiting.ContainsKey(e.RequestId):
                    problems.Add($"{at}: withdrew {e.RequestId}, which was not waiting");
                    break;
                case GpuRequestQueued e when state.Waiting.ContainsKey(e.Request.RequestId) || state.Leases.ContainsKey(e.Request.RequestId):
                    problems.Add($"{at}: queued {e.Request.RequestId} a second time");
                    break;
            }

            state.Apply(@event);
        }

        if (history.Count > 0)
        {
            Idle(state, policy, history[^1].Meta.At, history[^1].Meta.At, "at the end", problems);
        }

        return problems;
    }

    private static void CheckGrant(GpuAllocatorState state, GpuAllocatorPolicy policy, GpuLeaseGranted e, string at, List<string> problems)
    {
        if (!state.Waiting.TryGetValue(e.RequestId, out var waiting))
        {
            problems.Add($"{at}: granted {e.RequestId}, which was not waiting");
            return;
        }

        var shape = waiting.Request.Shape;
        if (e.UnitIds.Count != shape.Count || e.UnitIds.Distinct(StringComparer.Ordinal).Count() != shape.Count)
        {
            problems.Add($"{at}: {e.RequestId} asked for {shape} but got {e.UnitIds.Count} units ({string.Join(", ", e.UnitIds)})");
        }

        if (!state.Nodes.TryGetValue(e.Node, out var node))
        {
            problems.Add($"{at}: granted units on unknown node {e.Node}");
            return;
        }

        if (!node.Schedulable)
        {
            problems.Add($"{at}: granted units on node {e.Node}, which was {node.Condition}");
        }

        foreach (var unit in e.UnitIds)
        {
            if (state.Holders.TryGetValue(GpuAllocatorState.UnitKey(e.Node, unit), out var holder))
            {
                problems.Add($"{at}: unit {e.Node}/{unit} granted to {e.RequestId} while held by {holder}");
            }

            var fits = shape.Profile is { } profile
                ? node.Inventory.Slices.Any(s => s.Slice.Id == unit && s.Slice.Profile == profile)
                : node.Inventory.WholeDevices.Any(d => d.Id == unit && (shape.DeviceClass is null || d.DeviceClass == shape.DeviceClass));
            if (!fits)
            {
                problems.Add($"{at}: unit {e.Node}/{unit} is not a {shape.UnitName} on that node");
            }
        }

        var request = waiting.Request;
        if (policy.Limit(state, request.Project, request.Domain, shape.QuotaResource) is { } limit
            && state.Used(request.Project, request.Domain, shape.QuotaResource) + e.UnitIds.Count > limit)
        {
            problems.Add($"{at}: {request.Scope} would hold {state.Used(request.Project, request.Domain, shape.QuotaResource) + e.UnitIds.Count} {shape.QuotaResource}, over its quota of {limit}");
        }
    }

    private static void Idle(GpuAllocatorState state, GpuAllocatorPolicy policy, DateTimeOffset from, DateTimeOffset to, string when, List<string> problems)
    {
        var later = GpuScheduler.Schedule(state, policy, to).Select(p => p.RequestId).ToHashSet(StringComparer.Ordinal);
        foreach (var placement in GpuScheduler.Schedule(state, policy, from).Where(p => later.Contains(p.RequestId)))
        {
            problems.Add($"{when}: {placement.RequestId} was waiting although {string.Join(", ", placement.UnitIds)} on {placement.Node} fitted it");
        }
    }
}
