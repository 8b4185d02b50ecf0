using System.Globalization;

namespace Orleans.Flyte.Domain.Gpus;

/// <summary>The scheduler's words: why a request waits, whether any node could ever serve a shape, what the inventory
/// holds. Kept apart from the placement decisions, which never produce text.</summary>
public static partial class GpuScheduler
{
    /// <summary>Why <paramref name="requestId"/> is waiting; null when it is not waiting.</summary>
    /// <param name="position">The request's position among those waiting for the same kind of unit, when the caller
    /// already knows it (see <see cref="QueueOrder"/>); counted otherwise.</param>
    public static GpuWaitReason? Explain(GpuAllocatorState state, GpuAllocatorPolicy policy, string requestId, DateTimeOffset now, int? position = null)
    {
        if (!state.Waiting.TryGetValue(requestId, out var waiting))
        {
            return null;
        }

        var request = waiting.Request;
        var shape = request.Shape;
        var unit = shape.UnitName;
        position ??= 1 + state.Waiting.Values.Count(w => Same(w.Request.Shape, shape) && Compare(policy, now, w, waiting) < 0);
        var queue = position == 1 ? "first in queue" : $"position {position.Value.ToString(CultureInfo.InvariantCulture)} in queue";

        var matching = state.Nodes.Values
            .Select(n => (Node: n, Total: Units(n.Inventory, shape).Count()))
            .Where(n => n.Total > 0)
            .OrderBy(n => n.Node.Node, StringComparer.Ordinal)
            .ToList();
        if (matching.Count == 0)
        {
            return new GpuWaitReason("no-such-resource", $"no node has any {unit}; the inventory has {Describe(state)}", position.Value);
        }

        var largest = matching.MaxBy(n => n.Total);
        if (largest.Total < shape.Count)
        {
            return new GpuWaitReason("no-such-resource",
                $"no node has {shape}: at most {largest.Total} on {largest.Node.Node}", position.Value);
        }

        var usable = matching.Where(n => n.Node.Schedulable && n.Total >= shape.Count).ToList();
        var unusable = matching.Where(n => !n.Node.Schedulable).Select(n => Condition(n.Node)).ToList();
        var unusableNote = unusable.Count > 0 ? "; " + string.Join("; ", unusable) : string.Empty;
        if (usable.Count == 0)
        {
            return new GpuWaitReason("cordoned", $"every node with {shape} is unavailable: {string.Join("; ", unusable)}", position.Value);
        }

        var resource = shape.QuotaResource;
        if (policy.Limit(state, request.Project, request.Domain, resource) is { } limit
            && state.Used(request.Project, request.Domain, resource) + shape.Count > limit)
        {
            var used = state.Used(request.Project, request.Domain, resource);
            return new GpuWaitReason("quota",
                $"quota {request.Domain}/{request.Project}: {used} of {limit} {resource} in use, this task needs {shape.Count}", position.Value);
        }

        var freeByNode = usable.Select(n => (n.Node.Node, Free: Units(n.Node.Inventory, shape).Count(u => !state.IsHeld(n.Node.Node, u)))).ToList();
        var totalFree = freeByNode.Sum(n => n.Free);
        var total = usable.Sum(n => n.Total);
        var bestNode = freeByNode.Max(n => n.Free);
        if (totalFree == 0)
        {
            return new GpuWaitReason("capacity", $"no free {unit}: 0 of {total} free, {queue}{unusableNote}", position.Value);
        }

        if (totalFree < shape.Count)
        {
            return new GpuWaitReason("capacity", $"needs {shape}: {totalFree} of {total} free, {queue}{unusableNote}", position.Value);
        }

        if (bestNode < shape.Count)
        {
            return new GpuWaitReason("fragmented",
                $"needs {shape} on one node: at most {bestNode} free on any node ({totalFree} of {total} free), {queue}{unusableNote}", position.Value);
        }

        var ahead = state.Waiting.Values.Where(w => Same(w.Request.Shape, shape) && Compare(policy, now, w, waiting) < 0).Sum(w => w.Request.Count);
        return ahead > 0
            ? new GpuWaitReason("reserved", $"{totalFree} of {total} {unit} free, held back for {ahead} requested earlier or with higher priority, {queue}", position.Value)
            : new GpuWaitReason("placing", $"{totalFree} of {total} {unit} free; being placed", position.Value);
    }

    /// <summary>What in the inventory could ever satisfy <paramref name="shape"/>: null if some node can, else why not.</summary>
    public static string? Unsatisfiable(GpuAllocatorState state, GpuShape shape)
    {
        var nodes = state.Nodes.Values.Where(n => n.Condition != GpuNodeCondition.Gone).ToList();
        if (nodes.Count == 0)
        {
            return $"{shape} was requested, but the cluster has no GPU nodes";
        }

        var best = nodes.Select(n => (n.Node, Count: Units(n.Inventory, shape).Count())).MaxBy(n => n.Count);
        if (best.Count >= shape.Count)
        {
            return null;
        }

        var where = best.Count == 0 ? $"no node has a {shape.UnitName}" : $"no node has {shape.Count} (at most {best.Count} on {best.Node})";
        return $"{shape} can never be granted: {where}. The inventory has {Describe(state)}";
    }

    /// <summary>The inventory in words: <c>dgx-01: 4 × a100-40gb, 2 × mig-3g.20gb, 7 × mig-1g.5gb</c>.</summary>
    public static string Describe(GpuAllocatorState state)
    {
        var nodes = state.Nodes.Values.Where(n => n.Condition != GpuNodeCondition.Gone).OrderBy(n => n.Node, StringComparer.Ordinal).ToList();
        return nodes.Count == 0
            ? "no GPU nodes"
            : string.Join("; ", nodes.Select(n => $"{n.Node}: {string.Join(", ", Kinds(n.Inventory).Select(k => $"{k.Count} × {k.Name}"))}"));
    }

    private static IEnumerable<(string Name, int Count)> Kinds(GpuNodeInventory inventory) =>
        inventory.WholeDevices.GroupBy(d => d.DeviceClass).Select(g => (g.Key, g.Count()))
            .Concat(inventory.Slices.GroupBy(s => s.Slice.Profile).Select(g => (g.Key, g.Count())));

    private static string Condition(GpuNodeSnapshot node) =>
        $"node {node.Node} {node.Condition.ToString().ToLowerInvariant()}{(node.Reason is { Length: > 0 } r ? $" ({r})" : string.Empty)}";

    /// <summary>Every unit of a node that could serve <paramref name="shape"/> (free or not).</summary>
    private static IEnumerable<string> Units(GpuNodeInventory inventory, GpuShape shape) =>
        shape.Profile is { } profile
            ? inventory.Slices.Where(s => s.Slice.Profile == profile).Select(s => s.Slice.Id)
            : shape.DeviceClass is { } deviceClass
                ? inventory.WholeDevices.Where(d => d.DeviceClass == deviceClass).Select(d => d.Id)
                : LargestClass(inventory);

    private static IEnumerable<string> LargestClass(GpuNodeInventory inventory) =>
        inventory.WholeDevices.GroupBy(d => d.DeviceClass).MaxBy(g => g.Count())?.Select(d => d.Id) ?? [];
}
