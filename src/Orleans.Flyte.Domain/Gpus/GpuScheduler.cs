namespace Orleans.Flyte.Domain.Gpus;

/// <summary>
/// The allocator's decisions, pure: which waiting requests get which units now (<see cref="Schedule"/>), and why
/// the others wait (<see cref="Explain"/>). Order: effective priority (domain rank + execution priority + ageing),
/// then fair share (the project holding fewer units first), then arrival. A request that does not fit does not
/// block those behind it (backfill), except where a starving request holds a reservation.
/// </summary>
public static partial class GpuScheduler
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
