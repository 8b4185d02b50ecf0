using System.Diagnostics;
using System.Globalization;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Bench;

/// <summary>
/// The allocator's decision engine (the same <see cref="GpuScheduler"/> the grain runs), without the event store:
/// <list type="bullet">
/// <item><c>decisions</c>: how many release → grant decisions per second it makes with a large queue waiting.</item>
/// <item><c>trace</c>: a fixed, seeded trace of mixed requests replayed as a discrete-event simulation with best-fit
/// and with first-fit: utilisation, mean and p99 wait, makespan.</item>
/// </list>
/// Usage: <c>scripts/bench gpu [decisions|trace|all] [queue=10000] [jobs=3000] [seed=42] [load=0.85] [traces=10]</c>.
/// </summary>
internal static class GpuBench
{
    private static readonly DateTimeOffset s_start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static void Run(string[] args)
    {
        var what = args.Length > 0 ? args[0] : "all";
        var queue = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
        var jobs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3_000;
        var seed = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 42;
        var load = args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 0.85;
        var runs = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 10;
        Console.WriteLine($"inventory: {GpuScheduler.Describe(Inventory())}");
        if (what is "decisions" or "all")
        {
            Decisions(queue, seed);
        }

        if (what is "trace" or "all")
        {
            Console.WriteLine();
            Console.WriteLine($"trace: {runs} seeded traces (seeds {seed}..{seed + runs - 1}) of {jobs} jobs each, arrivals offering about {load:P0} of the inventory's compute");
            Console.WriteLine("policy    | GPU utilisation | slice utilisation | mean wait | p99 wait | makespan   (mean over the traces)");
            var results = new Dictionary<PlacementPolicy, List<TraceResult>>();
            foreach (var placement in new[] { PlacementPolicy.BestFit, PlacementPolicy.FirstFit })
            {
                results[placement] = [.. Enumerable.Range(seed, runs).Select(s => Trace(placement, jobs, s, load))];
                var r = results[placement];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{placement,-9} | {r.Average(x => x.ComputeUtilisation),15:P1} | {r.Average(x => x.UnitUtilisation),17:P1} | {r.Average(x => x.MeanWait.TotalMinutes),6:F1} min | {r.Average(x => x.P99Wait.TotalMinutes),5:F0} min | {r.Average(x => x.Makespan.TotalHours):F1} h"));
            }

            var pairs = results[PlacementPolicy.BestFit].Zip(results[PlacementPolicy.FirstFit]).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"best-fit better in {pairs.Count(p => p.First.ComputeUtilisation > p.Second.ComputeUtilisation)} of {runs} traces on utilisation, {pairs.Count(p => p.First.P99Wait < p.Second.P99Wait)} of {runs} on p99 wait, {pairs.Count(p => p.First.MeanWait < p.Second.MeanWait)} of {runs} on mean wait"));
        }
    }

    /// <summary>Four DGX-class nodes: two A100 40 GB in the sample's mixed layout (half whole, half MIG), one A100
    /// node all whole, one H100 80 GB node all whole.</summary>
    public static GpuAllocatorState Inventory()
    {
        var state = new GpuAllocatorState();
        string[] sample = ["whole", "whole", "whole", "whole", "mig:7g.40gb", "mig:3g.20gb,3g.20gb", "mig:4g.20gb,2g.10gb,1g.5gb", "mig:7x1g.5gb"];
        // Names decide first-fit's order: BENCH_BIG_FIRST=1 names the all-whole nodes so they sort first.
        var bigFirst = Environment.GetEnvironmentVariable("BENCH_BIG_FIRST") == "1";
        Add(state, bigFirst ? "node-3" : "node-1", "NVIDIA A100-SXM4-40GB", 40, sample);
        Add(state, bigFirst ? "node-4" : "node-2", "NVIDIA A100-SXM4-40GB", 40, sample);
        Add(state, bigFirst ? "node-1" : "node-3", "NVIDIA A100-SXM4-40GB", 40, [.. Enumerable.Repeat("whole", 8)]);
        Add(state, bigFirst ? "node-2" : "node-4", "NVIDIA H100 80GB HBM3", 80, [.. Enumerable.Repeat("whole", 8)]);
        return state;
    }

    private static void Add(GpuAllocatorState state, string node, string model, int memoryGb, string[] gpus)
    {
        var errors = new List<string>();
        var inventory = GpuLayout.Parse(node, model, memoryGb, gpus, errors);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", errors));
        }

        state.Apply(Stamp(new GpuNodeObserved(new GpuNodeSnapshot(inventory, GpuNodeCondition.Schedulable, null)), s_start));
    }

    private static void Decisions(int queued, int seed)
    {
        var state = Inventory();
        var random = new Random(seed);
        var now = s_start;
        var policy = GpuAllocatorPolicy.Default;
        var id = 0;

        // Fill every unit, then queue a large backlog of mixed requests.
        while (true)
        {
            var request = NextJob(random, ref id, now).Request;
            state.Apply(Stamp(new GpuRequestQueued(request), now));
            var placements = GpuScheduler.Schedule(state, policy, now);
            foreach (var p in placements)
            {
                state.Apply(Stamp(new GpuLeaseGranted(p.RequestId, p.Node, p.UnitIds, p.ResourceName), now));
            }

            if (state.Waiting.Count >= queued)
            {
                break;
            }
        }

        // Each step: one lease ends (a random one), the allocator decides who gets the freed units.
        var decisions = 0;
        var grants = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            var lease = state.Leases.Keys.ElementAt(random.Next(state.Leases.Count));
            state.Apply(Stamp(new GpuLeaseReleased(lease, "done"), now));
            var placements = GpuScheduler.Schedule(state, policy, now);
            foreach (var p in placements)
            {
                state.Apply(Stamp(new GpuLeaseGranted(p.RequestId, p.Node, p.UnitIds, p.ResourceName), now));
            }

            grants += placements.Count;
            decisions++;

            // Keep the queue at its size.
            while (state.Waiting.Count < queued)
            {
                state.Apply(Stamp(new GpuRequestQueued(NextJob(random, ref id, now).Request), now));
            }

            if (state.Leases.Count == 0)
            {
                break;
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"decisions: {decisions / seconds:F0} release→grant decisions/s with {queued:N0} requests waiting ({grants} grants in {decisions} decisions, {seconds:F1} s, one core)"));
    }

    private sealed record Job(GpuLeaseRequest Request, DateTimeOffset Arrival, TimeSpan Duration);

    private sealed record TraceResult(double ComputeUtilisation, double UnitUtilisation, TimeSpan MeanWait, TimeSpan P99Wait, TimeSpan Makespan);

    /// <summary>The job mix: whole GPUs of a class (1, 2, 4, 8), any GPU, and several MIG profiles with counts.</summary>
    private static Job NextJob(Random random, ref int id, DateTimeOffset arrival)
    {
        var roll = random.Next(100);
        var (profile, deviceClass, count) = roll switch
        {
            < 22 => ((string?)null, (string?)"a100-40gb", 1),
            < 32 => (null, "a100-40gb", 2),
            < 38 => (null, "a100-40gb", 4),
            < 41 => (null, "a100-40gb", 8),
            < 48 => (null, null, 1),
            < 52 => (null, "h100-80gb", 2),
            < 55 => (null, "h100-80gb", 8),
            < 68 => ("mig-1g.5gb", null, 1),
            < 74 => ("mig-1g.5gb", null, 3),
            < 80 => ("mig-2g.10gb", null, 1),
            < 89 => ("mig-3g.20gb", null, 1),
            < 93 => ("mig-3g.20gb", null, 2),
            < 96 => ("mig-4g.20gb", null, 1),
            _ => ("mig-7g.40gb", null, 1),
        };
        var domain = random.Next(10) switch { < 6 => "development", < 8 => "staging", _ => "production" };
        var project = $"team-{random.Next(5)}";
        var minutes = Math.Clamp(Math.Exp(random.NextDouble() * 4.1), 1, 60); // 1 to 60 minutes, log-uniform
        var n = ++id;
        return new Job(
            new GpuLeaseRequest($"job-{n}", project, domain, $"e{n}", "n", 1, profile, deviceClass, count),
            arrival,
            TimeSpan.FromMinutes(minutes));
    }

    private static TraceResult Trace(PlacementPolicy placement, int count, int seed, double load)
    {
        var random = new Random(seed);
        var policy = GpuAllocatorPolicy.Default with { Placement = placement };
        var state = Inventory();
        var id = 0;
        var units = state.Nodes.Values.SelectMany(n => n.Inventory.WholeDevices.Select(d => (Node: n.Node, Id: d.Id, Compute: 7))
            .Concat(n.Inventory.Slices.Select(s => (Node: n.Node, Id: s.Slice.Id, Compute: s.Slice.ComputeUnits)))).ToList();
        var compute = units.ToDictionary(u => GpuAllocatorState.UnitKey(u.Node, u.Id), u => u.Compute);

        // Arrivals: exponential gaps sized so offered load is about 95% of the inventory's compute.
        var jobs = new List<Job>(count);
        var at = s_start;
        var totalCompute = compute.Values.Sum();
        var meanCompute = 0.0;
        var probe = new Random(seed + 1);
        var probeId = 0;
        for (var i = 0; i < 2000; i++)
        {
            var j = NextJob(probe, ref probeId, at);
            meanCompute += ComputeOf(j.Request) * j.Duration.TotalMinutes / 2000;
        }

        var meanGap = meanCompute / (totalCompute * load);
        for (var i = 0; i < count; i++)
        {
            at += TimeSpan.FromMinutes(-Math.Log(1 - random.NextDouble()) * meanGap);
            jobs.Add(NextJob(random, ref id, at));
        }

        var byId = jobs.ToDictionary(j => j.Request.RequestId);
        var completions = new PriorityQueue<string, DateTimeOffset>();
        var waits = new List<TimeSpan>(count);
        var busyCompute = 0.0;
        var busyUnits = 0.0;
        var next = 0;
        var now = s_start;
        while (next < jobs.Count || completions.Count > 0)
        {
            var arrivalNext = next < jobs.Count ? jobs[next].Arrival : DateTimeOffset.MaxValue;
            var completionNext = completions.TryPeek(out _, out var done) ? done : DateTimeOffset.MaxValue;
            if (completionNext <= arrivalNext)
            {
                now = completionNext;
                var finished = completions.Dequeue();
                state.Apply(Stamp(new GpuLeaseReleased(finished, "done"), now));
            }
            else
            {
                now = arrivalNext;
                state.Apply(Stamp(new GpuRequestQueued(jobs[next++].Request), now));
            }

            while (GpuScheduler.Schedule(state, policy, now) is { Count: > 0 } placements)
            {
                foreach (var p in placements)
                {
                    state.Apply(Stamp(new GpuLeaseGranted(p.RequestId, p.Node, p.UnitIds, p.ResourceName), now));
                    var job = byId[p.RequestId];
                    waits.Add(now - job.Arrival);
                    completions.Enqueue(p.RequestId, now + job.Duration);
                    busyCompute += p.UnitIds.Sum(u => compute[GpuAllocatorState.UnitKey(p.Node, u)]) * job.Duration.TotalMinutes;
                    busyUnits += p.UnitIds.Count * job.Duration.TotalMinutes;
                }
            }
        }

        if (state.Waiting.Count > 0)
        {
            throw new InvalidOperationException($"{state.Waiting.Count} jobs never ran under {placement}.");
        }

        var makespan = now - s_start;
        waits.Sort();
        return new TraceResult(
            busyCompute / (totalCompute * makespan.TotalMinutes),
            busyUnits / (units.Count * makespan.TotalMinutes),
            TimeSpan.FromTicks((long)waits.Average(w => w.Ticks)),
            waits[(int)Math.Ceiling(waits.Count * 0.99) - 1],
            makespan);
    }

    private static int ComputeOf(GpuLeaseRequest request) =>
        request.Count * (request.Profile is { } profile ? GpuDeviceClass.ComputeUnits(profile) : 7);

    private static GpuAllocatorEvent Stamp(GpuAllocatorEvent @event, DateTimeOffset at) =>
        @event with { Meta = new EventMetadata(at, "bench", null, null) };
}

/// <summary>The benchmark's leases belong to no task execution; reconciliation must not end them.</summary>
internal sealed class AlwaysLive : Orleans.Flyte.Grains.Gpus.IGpuLeaseLiveness
{
    public Task<string?> CheckAsync(IGrainFactory grains, GpuLeaseRequest request) => Task.FromResult<string?>(null);
}
