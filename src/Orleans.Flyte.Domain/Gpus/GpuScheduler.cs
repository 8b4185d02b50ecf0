using System.Globalization;

namespace Orleans.Flyte.Domain.Gpus;

public enum PlacementPolicy
{
    /// <summary>The node (and GPU class) left with the fewest free units that still fits: big free blocks stay whole.</summary>
    BestFit,

    /// <summary>The first node, in name order, that fits (the baseline the benchmark compares with).</summary>
    FirstFit,
}

/// <summary>How the allocator orders and places requests.</summary>
public sealed record GpuAllocatorPolicy
{
    public static readonly GpuAllocatorPolicy Default = new();

    public PlacementPolicy Placement { get; init; } = PlacementPolicy.BestFit;

    /// <summary>Priority of each domain: production before staging before development by default.</summary>
    public IReadOnlyDictionary<string, int> DomainRanks { get; init; } =
        new Dictionary<string, int>(StringComparer.Ordinal) { ["production"] = 200, ["staging"] = 100, ["development"] = 0 };

    /// <summary>Every <see cref="AgeingInterval"/> of waiting adds <see cref="AgeingBoost"/> to a request's priority, so
    /// nothing waits forever behind a stream of higher-priority work.</summary>
    public TimeSpan AgeingInterval { get; init; } = TimeSpan.FromMinutes(1);

    public int AgeingBoost { get; init; } = 10;

    /// <summary>A request at the head of the queue that has waited this long and still does not fit gets a
    /// reservation: smaller requests stop taking the units it needs on the node closest to fitting it.</summary>
    public TimeSpan ReserveAfter { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Quotas that apply where none was set through the API: <c>domain → resource → limit</c>
    /// (<c>*</c> as domain applies to every domain).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> DefaultQuotas { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);

    public int Rank(string domain) => DomainRanks.TryGetValue(domain, out var rank) ? rank : 0;

    public long EffectivePriority(WaitingRequest waiting, DateTimeOffset now)
    {
        var waited = now - waiting.Since;
        var steps = AgeingInterval > TimeSpan.Zero && waited > TimeSpan.Zero ? waited.Ticks / AgeingInterval.Ticks : 0;
        return Rank(waiting.Request.Domain) + waiting.Request.Priority + (steps * AgeingBoost);
    }

    public int? Limit(GpuAllocatorState state, string project, string domain, string resource)
    {
        if (state.Quota(project, domain, resource) is { } explicitLimit)
        {
            return explicitLimit;
        }

        return (DefaultQuotas.TryGetValue(domain, out var byResource) || DefaultQuotas.TryGetValue("*", out byResource))
            && byResource.TryGetValue(resource, out var limit)
                ? limit
                : null;
    }
}

/// <summary>One decision: these units on this node go to this request.</summary>
public sealed record GpuPlacement(string RequestId, string Node, IReadOnlyList<string> UnitIds, string ResourceName);

/// <summary>Why a request is still waiting, in words with figures.</summary>
/// <param name="Code"><c>quota</c>, <c>capacity</c>, <c>fragmented</c>, <c>cordoned</c>, <c>no-such-resource</c>, <c>reserved</c> or <c>placing</c>.</param>
/// <param name="Position">1-based position among the requests waiting for the same kind of unit.</param>
[GenerateSerializer, Immutable, Alias("flyte.GpuWaitReason")]
public sealed record GpuWaitReason(
    [property: Id(0)] string Code,
    [property: Id(1)] string Message,
    [property: Id(2)] int Position);

/// <summary>
/// The allocator's decisions, pure: which waiting requests get which units now (<see cref="Schedule"/>), and why
/// the others wait (<see cref="Explain"/>). Order: effective priority (domain rank + execution priority + ageing),
/// then fair share (the project holding fewer units first), then arrival. A request that does not fit does not
/// block those behind it (backfill), except where a starving request holds a reservation.
/// </summary>
public static class GpuScheduler
{
    public static IReadOnlyList<GpuPlacement> Schedule(GpuAllocatorState state, GpuAllocatorPolicy policy, DateTimeOffset now)
    {
        if (state.Waiting.Count == 0)
        {
            return [];
        }

        var free = FreeUnits.Of(state);
        if (free.Total == 0)
        {
            return [];
        }

        var placements = new List<GpuPlacement>();
        var usedThisPass = new Dictionary<string, int>(StringComparer.Ordinal);
        var heldByProject = new Dictionary<string, int>(state.HeldByProject, StringComparer.Ordinal);
        Reservation? reservation = null;

        // Only requests for a kind of unit that has something free can be placed or need a reservation in this pass
        // (a reservation only matters for units that are free): order just those, not the whole queue.
        var candidates = state.Waiting.Values.Where(w => free.AnyFree(w.Request.Shape));
        foreach (var waiting in Order(candidates, policy, now, heldByProject))
        {
            if (free.Total == 0)
            {
                break;
            }

            var request = waiting.Request;
            var shape = request.Shape;
            if (!free.AnyFree(shape))
            {
                continue; // taken earlier in this pass
            }

            var quotaKey = GpuAllocatorState.QuotaKey(request.Project, request.Domain, shape.QuotaResource);
            if (policy.Limit(state, request.Project, request.Domain, shape.QuotaResource) is { } limit
                && state.Used(request.Project, request.Domain, shape.QuotaResource) + usedThisPass.GetValueOrDefault(quotaKey) + shape.Count > limit)
            {
                continue;
            }

            var spot = free.Find(shape, policy.Placement, reservation);
            if (spot is null)
            {
                Reserve(waiting);
                continue;
            }

            var units = free.Take(spot.Value.Node, spot.Value.Kind, shape.Count);
            placements.Add(new GpuPlacement(request.RequestId, spot.Value.Node, units, shape.ResourceName));
            usedThisPass[quotaKey] = usedThisPass.GetValueOrDefault(quotaKey) + shape.Count;
            heldByProject[request.Project] = heldByProject.GetValueOrDefault(request.Project) + shape.Count;
        }

        return placements;

        void Reserve(WaitingRequest waiting)
        {
            if (reservation is null && now - waiting.Since >= policy.ReserveAfter && FreeUnits.Closest(state, waiting.Request.Shape) is { } node)
            {
                reservation = new Reservation(waiting.Request.RequestId, node, waiting.Request.Shape);
            }
        }
    }

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

    /// <summary>The waiting requests in priority order (effective priority, then arrival), each with its position among
    /// the requests for the same kind of unit.</summary>
    public static IReadOnlyList<(WaitingRequest Waiting, long Priority, int Position)> QueueOrder(
        GpuAllocatorState state, GpuAllocatorPolicy policy, DateTimeOffset now)
    {
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        return [.. state.Waiting.Values
            .Select(w => (Waiting: w, Priority: policy.EffectivePriority(w, now)))
            .OrderByDescending(w => w.Priority).ThenBy(w => w.Waiting.Arrival)
            .Select(w =>
            {
                var kind = w.Waiting.Request.Profile ?? "gpu:" + w.Waiting.Request.DeviceClass;
                positions[kind] = positions.GetValueOrDefault(kind) + 1;
                return (w.Waiting, w.Priority, positions[kind]);
            })];
    }

    private static bool Same(GpuShape a, GpuShape b) => a.Profile == b.Profile && (a.Profile is not null || a.DeviceClass == b.DeviceClass);

    private static int Compare(GpuAllocatorPolicy policy, DateTimeOffset now, WaitingRequest a, WaitingRequest b)
    {
        var byPriority = policy.EffectivePriority(b, now).CompareTo(policy.EffectivePriority(a, now));
        return byPriority != 0 ? byPriority : a.Arrival.CompareTo(b.Arrival);
    }

    /// <summary>Scheduling order: priority buckets; inside one, the project holding fewest units goes next (round robin
    /// as grants are handed out), each project's own requests in arrival order.</summary>
    private static IEnumerable<WaitingRequest> Order(
        IEnumerable<WaitingRequest> waiting, GpuAllocatorPolicy policy, DateTimeOffset now, Dictionary<string, int> heldByProject)
    {
        var buckets = waiting
            .GroupBy(w => policy.EffectivePriority(w, now))
            .OrderByDescending(g => g.Key);
        foreach (var bucket in buckets)
        {
            var byProject = bucket
                .GroupBy(w => w.Request.Project, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => new Queue<WaitingRequest>(g.OrderBy(w => w.Arrival)), StringComparer.Ordinal);
            if (byProject.Count == 1)
            {
                foreach (var w in byProject.Values.First())
                {
                    yield return w;
                }

                continue;
            }

            var next = new PriorityQueue<string, (int Held, long Arrival)>();
            foreach (var (project, queue) in byProject)
            {
                next.Enqueue(project, (heldByProject.GetValueOrDefault(project), queue.Peek().Arrival));
            }

            while (next.TryDequeue(out var project, out _))
            {
                var queue = byProject[project];
                yield return queue.Dequeue();
                if (queue.Count > 0)
                {
                    // heldByProject is updated by the caller when the request just yielded was granted.
                    next.Enqueue(project, (heldByProject.GetValueOrDefault(project), queue.Peek().Arrival));
                }
            }
        }
    }

    private sealed record Reservation(string RequestId, string Node, GpuShape Shape);

    /// <summary>Free units per node and kind (a MIG profile, or <c>gpu:</c> + device class), nodes in name order.</summary>
    private sealed class FreeUnits
    {
        private readonly List<NodeFree> _nodes = [];
        private readonly Dictionary<string, int> _totals = new(StringComparer.Ordinal);

        public int Total { get; private set; }

        public static FreeUnits Of(GpuAllocatorState state)
        {
            var free = new FreeUnits();
            foreach (var snapshot in state.Nodes.Values.Where(n => n.Schedulable).OrderBy(n => n.Node, StringComparer.Ordinal))
            {
                var node = new NodeFree(snapshot.Node);
                foreach (var device in snapshot.Inventory.Devices)
                {
                    if (device.MigEnabled)
                    {
                        foreach (var slice in device.Slices.Where(s => !state.IsHeld(snapshot.Node, s.Id)))
                        {
                            node.Add(slice.Profile, slice.Id, slice.MemoryGb);
                        }
                    }
                    else if (!state.IsHeld(snapshot.Node, device.Id))
                    {
                        node.Add(WholeKind(device.DeviceClass), device.Id, device.MemoryGb);
                    }
                }

                foreach (var (kind, units) in node.ByKind)
                {
                    free._totals[kind] = free._totals.GetValueOrDefault(kind) + units.Count;
                    free._totals[WholeAny] = free._totals.GetValueOrDefault(WholeAny) + (IsWhole(kind) ? units.Count : 0);
                    free.Total += units.Count;
                }

                free._nodes.Add(node);
            }

            return free;
        }

        public bool AnyFree(GpuShape shape) => _totals.GetValueOrDefault(TotalKey(shape)) >= 1;

        public (string Node, string Kind)? Find(GpuShape shape, PlacementPolicy policy, Reservation? reservation)
        {
            (string Node, string Kind, int Left, int Memory, int Order)? best = null;
            var order = 0;
            foreach (var node in _nodes)
            {
                foreach (var kind in node.Order)
                {
                    order++;
                    if (!Serves(kind, shape) || node.ByKind[kind].Count < shape.Count
                        || (reservation is not null && reservation.Node == node.Node && Serves(kind, reservation.Shape)))
                    {
                        continue;
                    }

                    var candidate = (node.Node, kind, node.ByKind[kind].Count - shape.Count, node.Memory[kind], order);
                    if (policy == PlacementPolicy.FirstFit)
                    {
                        return (candidate.Node, candidate.kind);
                    }

                    if (best is null || Better(candidate, best.Value))
                    {
                        best = candidate;
                    }
                }
            }

            return best is { } b ? (b.Node, b.Kind) : null;

            static bool Better((string, string, int Left, int Memory, int Order) a, (string, string, int Left, int Memory, int Order) b) =>
                a.Memory != b.Memory ? a.Memory < b.Memory : a.Left != b.Left ? a.Left < b.Left : a.Order < b.Order;
        }

        /// <summary>The schedulable node where <paramref name="shape"/> could fit, with the most units free already.</summary>
        public static string? Closest(GpuAllocatorState state, GpuShape shape) =>
            state.Nodes.Values
                .Where(n => n.Schedulable && Units(n.Inventory, shape).Count() >= shape.Count)
                .OrderByDescending(n => Units(n.Inventory, shape).Count(u => !state.IsHeld(n.Node, u)))
                .ThenBy(n => n.Node, StringComparer.Ordinal)
                .Select(n => n.Node)
                .FirstOrDefault();

        public List<string> Take(string nodeName, string kind, int count)
        {
            var node = _nodes.First(n => n.Node == nodeName);
            var units = node.ByKind[kind];
            var taken = units.GetRange(0, count);
            units.RemoveRange(0, count);
            _totals[kind] -= count;
            if (IsWhole(kind))
            {
                _totals[WholeAny] -= count;
            }

            Total -= count;
            return taken;
        }

        private const string WholeAny = "gpu:*";

        private static string WholeKind(string deviceClass) => "gpu:" + deviceClass;

        private static bool IsWhole(string kind) => kind.StartsWith("gpu:", StringComparison.Ordinal);

        private static string TotalKey(GpuShape shape) =>
            shape.Profile ?? (shape.DeviceClass is { } c ? WholeKind(c) : WholeAny);

        private static bool Serves(string kind, GpuShape shape) =>
            shape.Profile is { } profile ? kind == profile
            : shape.DeviceClass is { } deviceClass ? kind == WholeKind(deviceClass)
            : IsWhole(kind);

        private sealed class NodeFree(string node)
        {
            public string Node => node;

            public Dictionary<string, List<string>> ByKind { get; } = new(StringComparer.Ordinal);

            public Dictionary<string, int> Memory { get; } = new(StringComparer.Ordinal);

            public List<string> Order { get; } = [];

            public void Add(string kind, string unit, int memoryGb)
            {
                if (!ByKind.TryGetValue(kind, out var units))
                {
                    ByKind[kind] = units = [];
                    Memory[kind] = memoryGb;
                    Order.Add(kind);
                }

                units.Add(unit);
            }
        }
    }
}
