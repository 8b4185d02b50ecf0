using System.Diagnostics;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Grains.Audit;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Bench;

/// <summary>
/// Capacity as of an instant over a long allocator stream (issue 13): seeds the allocator's stream with realistic decisions
/// (8 nodes of 8 GPUs, requests placed by <see cref="GpuScheduler"/> itself, about 50 leases held and some requests waiting
/// at any time), taking a snapshot every <c>snapshotEvery</c> events the way the grain does, then times the as-of read at
/// instants spread over the history, folded from the latest snapshot and from the first event.
/// </summary>
internal static class AllocatorAsOfBench
{
    private const int Batch = 500;

    public static async Task RunAsync(IEventStreamStore store, StreamSnapshots snapshots, MartenAuditLog audit, int events, int snapshotEvery)
    {
        var stream = StreamAddress.Cluster(MartenAuditLog.AllocatorStream);
        var policy = GpuAllocatorPolicy.Default;
        var state = new GpuAllocatorState();
        var start = DateTimeOffset.UtcNow.AddDays(-2);
        var pending = new List<GpuAllocatorEvent>();
        var hash = EventHashChain.Genesis;
        long version = 0;
        var tick = 0;
        var request = 0;
        var open = new Queue<string>();
        var seed = Stopwatch.StartNew();

        async Task Raise(GpuAllocatorEvent e)
        {
            var stamped = (GpuAllocatorEvent)(e with { Meta = new EventMetadata(start.AddMilliseconds(100.0 * tick++), "system:gpu-allocator", null, null) });
            state.Apply(stamped);
            pending.Add(stamped);
            if (pending.Count == Batch)
            {
                await Flush();
            }
        }

        async Task Flush()
        {
            if (pending.Count == 0)
            {
                return;
            }

            var result = await store.AppendAsync(stream, version, hash, [.. pending]);
            var before = version;
            (version, hash) = (result.Version, result.LastHash);
            var latest = pending.Max(e => e.Meta.At);
            pending.Clear();
            if (version / snapshotEvery > before / snapshotEvery)
            {
                await snapshots.SaveAsync(stream, version, latest, hash, StreamSnapshots.Serialize(state));
            }
        }

        for (var n = 0; n < 8; n++)
        {
            var errors = new List<string>();
            var inventory = GpuLayout.Parse($"dgx-{n:D2}", "NVIDIA A100-SXM4-40GB", 40, [.. Enumerable.Repeat("whole", 8)], errors);
            await Raise(new GpuNodeObserved(new GpuNodeSnapshot(inventory, GpuNodeCondition.Schedulable, null)));
        }

        while (version + pending.Count < events)
        {
            var id = $"r{request++:D8}";
            await Raise(new GpuRequestQueued(new GpuLeaseRequest(id, $"p{request % 7}", request % 3 == 0 ? "production" : "development", $"e{request}", "train", 1, null, "a100-40gb", 1 + (request % 2))));
            open.Enqueue(id);
            foreach (var placement in GpuScheduler.Schedule(state, policy, start.AddMilliseconds(100.0 * tick)))
            {
                await Raise(new GpuLeaseGranted(placement.RequestId, placement.Node, placement.UnitIds, placement.ResourceName));
            }

            if (open.Count > 60)
            {
                var done = open.Dequeue();
                await Raise(state.Leases.ContainsKey(done) ? new GpuLeaseReleased(done, "attempt ended") : new GpuRequestCancelled(done, "aborted while waiting"));
            }
        }

        await Flush();
        Console.WriteLine($"allocator stream: {version:N0} events seeded in {seed.Elapsed.TotalSeconds:F1} s, a snapshot every {snapshotEvery:N0} " +
            $"({version / snapshotEvery:N0} snapshots); now {state.Leases.Count} leases, {state.Waiting.Count} waiting");

        var end = start.AddMilliseconds(100.0 * tick);
        var instants = Enumerable.Range(1, 20).Select(i => start + ((end - start) * i / 20)).ToList();
        foreach (var instant in instants.Take(2))
        {
            // Warm both paths (JIT, connection pool) before timing.
            await audit.CapacityAsOfAsync(instant, fromSnapshot: true);
            await audit.CapacityAsOfAsync(instant, fromSnapshot: false);
        }

        var withSnapshots = new List<double>();
        var fromStart = new List<double>();
        foreach (var instant in instants)
        {
            var watch = Stopwatch.StartNew();
            var a = await audit.CapacityAsOfAsync(instant, fromSnapshot: true);
            withSnapshots.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            var b = await audit.CapacityAsOfAsync(instant, fromSnapshot: false);
            fromStart.Add(watch.Elapsed.TotalMilliseconds);
            if (a.Queue.Count != b.Queue.Count || a.Resources.Sum(r => r.Held) != b.Resources.Sum(r => r.Held))
            {
                throw new InvalidOperationException($"as of {instant:O} the snapshot and the full fold disagree");
            }
        }

        Console.WriteLine($"capacity as-of over {version:N0} allocator events (20 instants spread over the history): " +
            $"from snapshots min {withSnapshots.Min():F1} / p50 {Percentile(withSnapshots, 50):F1} / max {withSnapshots.Max():F1} ms; " +
            $"from the first event min {fromStart.Min():F1} / p50 {Percentile(fromStart, 50):F1} / max {fromStart.Max():F1} ms (the last instant folds all {version:N0})");
    }

    private static double Percentile(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
    }
}
