using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Grains.Executions;
using Orleans.Flyte.Grains.Gpus;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Gpus;

/// <summary>The allocator grain on a real cluster and a real event store; every test audits the stored history.</summary>
public sealed class GpuAllocatorGrainTests : IAsyncLifetime
{
    private static readonly string[] s_projects = ["alpha", "beta", "gamma"];
    private readonly string _serviceId = "gpu-" + Guid.NewGuid().ToString("N")[..8];
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("gpu");

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Concurrent_random_requests_releases_withdrawals_and_quota_changes_keep_every_promise_in_the_stored_history()
    {
        await using var cluster = await Start(live: true, ("node-a", ["whole", "whole", "whole", "whole", "mig:3g.20gb,2g.10gb,1g.5gb,1g.5gb"]),
            ("node-b", ["whole", "whole", "mig:7x1g.5gb", "mig:3g.20gb,3g.20gb"]));
        var allocator = cluster.Grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key);
        string[] kinds = ["a100-40gb", "mig-3g.20gb", "mig-1g.5gb", "mig-2g.10gb", "gpu"];
        var granted = 0;

        await Task.WhenAll(Enumerable.Range(0, 12).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 20; i++)
            {
                if (random.Next(10) == 0)
                {
                    await allocator.SetQuota(s_projects[random.Next(3)], "development", random.Next(2) == 0 ? "gpu" : "mig-1g.5gb", random.Next(2, 5), "test");
                }

                var kind = kinds[random.Next(kinds.Length)];
                var count = kind == "mig-2g.10gb" ? 1 : random.Next(1, 3);
                var request = new GpuLeaseRequest($"w{worker}-{i}", s_projects[random.Next(3)], "development", $"e{worker}", $"n{i}", 1,
                    kind.StartsWith("mig-", StringComparison.Ordinal) ? kind : null, kind is "a100-40gb" ? kind : null, count);
                var status = await allocator.Request(request);
                if (random.Next(6) == 0 && status.State == GpuLeaseState.Waiting)
                {
                    await allocator.Release(request.RequestId, "aborted while waiting");
                    continue;
                }

                await Eventually.Until(async () => (status = await allocator.GetStatus(request.RequestId)).State == GpuLeaseState.Granted,
                    $"{request.RequestId} ({request.Shape}) to be granted", TimeSpan.FromSeconds(60));
                Interlocked.Increment(ref granted);
                await Task.Delay(random.Next(0, 15));
                await allocator.Release(request.RequestId, "attempt ended");
            }
        })));

        var capacity = await allocator.GetCapacity();
        capacity.Queue.Should().BeEmpty();
        capacity.Resources.Should().OnlyContain(r => r.Held == 0);
        granted.Should().BeGreaterThan(150);
        var history = await History(cluster);
        // Some withdrawals came after the grant: those leases count too, and were released by the withdrawal.
        var grants = history.OfType<GpuLeaseGranted>().Select(g => g.RequestId).ToList();
        grants.Should().OnlyHaveUniqueItems().And.HaveCountGreaterThanOrEqualTo(granted);
        history.OfType<GpuLeaseReleased>().Select(r => r.RequestId).Should().BeEquivalentTo(grants, "every lease was given back exactly once");
        GpuLeaseAudit.Check(history, GpuAllocatorPolicy.Default).Should().BeEmpty();
    }

    [Fact]
    public async Task After_a_crash_leases_and_queue_order_survive_and_nothing_is_granted_twice()
    {
        var node = ("node-a", new[] { "whole", "whole" });
        GpuLeaseRequest Request(string id) => new(id, "alpha", "development", "e-" + id, "n", 1, null, "a100-40gb", 1);
        Dictionary<string, string> held;
        await using (var first = await Start(live: true, node))
        {
            var allocator = first.Grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key);
            foreach (var id in new[] { "a", "b", "c", "d", "e" })
            {
                await allocator.Request(Request(id));
            }

            held = (await allocator.GetCapacity()).Nodes.Single().Devices.ToDictionary(d => d.Id, d => d.HeldBy!.AttemptId);
            held.Values.Should().BeEquivalentTo(["a", "b"]);
            await first.Cluster.KillSiloAsync(first.Cluster.Silos[0]); // no graceful shutdown
        }

        await using var second = await Start(live: true, node);
        var restarted = second.Grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key);
        var capacity = await restarted.GetCapacity();
        capacity.Nodes.Single().Devices.ToDictionary(d => d.Id, d => d.HeldBy!.AttemptId).Should().BeEquivalentTo(held, "the same units, held by the same attempts");
        capacity.Queue.Select(q => (q.AttemptId, q.Position)).Should().Equal(("c", 1), ("d", 2), ("e", 3));
        (await restarted.Request(Request("a"))).State.Should().Be(GpuLeaseState.Granted, "asking again for a held lease returns it, never a second one");

        await restarted.Release("b", "done");
        (await restarted.GetStatus("c")).State.Should().Be(GpuLeaseState.Granted);
        (await restarted.GetStatus("d")).State.Should().Be(GpuLeaseState.Waiting);
        await restarted.Release("a", "done");
        (await restarted.GetStatus("d")).State.Should().Be(GpuLeaseState.Granted);

        var history = await History(second);
        history.OfType<GpuLeaseGranted>().Select(g => g.RequestId).Should().Equal("a", "b", "c", "d");
        GpuLeaseAudit.Check(history, GpuAllocatorPolicy.Default).Should().BeEmpty();
    }

    [Fact]
    public async Task Reconciliation_frees_leases_and_withdraws_requests_whose_attempts_are_gone()
    {
        // The real check (the task grains), but only once both requests are in: the reconciliation timer runs every second,
        // and one between the two requests would free the first GPU and grant the second at once.
        var liveness = new AliveUntilChecking(new TaskAttemptLiveness());
        await using var cluster = await Start(liveness, null, ("node-a", ["whole"]));
        var allocator = cluster.Grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key);

        // No task execution exists for these attempts: as after a crash that lost them.
        (await allocator.Request(new GpuLeaseRequest("ghost.1", "alpha", "development", "ghost", "n", 1, null, null, 1))).State.Should().Be(GpuLeaseState.Granted);
        (await allocator.Request(new GpuLeaseRequest("ghost.2", "alpha", "development", "ghost", "m", 1, null, null, 1))).State.Should().Be(GpuLeaseState.Waiting);
        liveness.StartChecking();

        await Eventually.Until(async () => (await allocator.GetStatus("ghost.1")).State == GpuLeaseState.Ended,
            "the periodic reconciliation to free the ghost's lease", TimeSpan.FromSeconds(30));
        var status = await allocator.GetStatus("ghost.2");
        status.State.Should().BeOneOf(GpuLeaseState.Ended, GpuLeaseState.Granted);
        await Eventually.Until(async () => (await allocator.GetStatus("ghost.2")).State == GpuLeaseState.Ended, "the second ghost to be ended", TimeSpan.FromSeconds(30));
        (await allocator.GetStatus("ghost.1")).Ended.Should().StartWith("released: reconciled: attempt ghost.1 has ended or no longer exists");
        (await allocator.GetCapacity()).Resources.Single().Free.Should().Be(1);
    }

    [Fact]
    public async Task A_node_changing_its_mig_layout_changes_what_the_allocator_places_and_a_cordon_stops_placement()
    {
        await using var cluster = await Start(live: true, ("node-a", ["mig:7g.40gb"]));
        var allocator = cluster.Grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key);
        var sink = cluster.SiloServices.GetRequiredService<IGpuInventorySink>();
        var small = new GpuLeaseRequest("s1", "alpha", "development", "e", "n", 1, "mig-1g.5gb", null, 2);
        (await allocator.Request(small)).Waiting!.Code.Should().Be("no-such-resource");

        await sink.NodeSeenAsync(GpuLayout.Parse("node-a", "NVIDIA A100-SXM4-40GB", 40, ["mig:7x1g.5gb"], []), schedulable: false, "kubernetes");
        var status = await allocator.GetStatus("s1");
        status.State.Should().Be(GpuLeaseState.Waiting);
        status.Waiting!.Message.Should().Be("every node with 2 × mig-1g.5gb is unavailable: node node-a cordoned (kubernetes reports the node unschedulable)");

        await sink.NodeSeenAsync(GpuLayout.Parse("node-a", "NVIDIA A100-SXM4-40GB", 40, ["mig:7x1g.5gb"], []), schedulable: true, "kubernetes");
        (await allocator.GetStatus("s1")).State.Should().Be(GpuLeaseState.Granted);
        var node = await cluster.Grains.GetGrain<IGpuNodeGrain>("node-a").Get();
        node!.Snapshot.Inventory.Slices.Should().HaveCount(7);
        node.Snapshot.Condition.Should().Be(GpuNodeCondition.Schedulable);
    }

    [Fact]
    public async Task A_waiting_holder_is_told_of_its_grant_once_it_is_durable_and_a_holder_granted_at_once_is_not_told()
    {
        var told = new RecordingGrantNotifier();
        await using var cluster = await Start(new AlwaysLive(), told, ("node-a", ["whole"]));
        var allocator = cluster.Grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key);
        GpuLeaseRequest Request(string id) => new(id, "alpha", "development", "e-" + id, "n", 1, null, "a100-40gb", 1);
        (await allocator.Request(Request("a"))).State.Should().Be(GpuLeaseState.Granted);
        (await allocator.Request(Request("b"))).State.Should().Be(GpuLeaseState.Waiting);
        told.Requests.Should().BeEmpty("a holder granted at once learns it from the answer to its own request");

        await allocator.Release("a", "done");

        told.Requests.Should().Equal(["b"], "the waiting holder is told when the release hands it the GPU");
        (await allocator.GetStatus("b")).State.Should().Be(GpuLeaseState.Granted);
    }

    [Fact]
    public async Task Two_clusters_on_one_database_hammering_the_allocator_never_grant_a_unit_twice()
    {
        // Two clusters on one database: each has its own activation of the allocator on the same stream (a split brain
        // that never heals). Every decision is conditional, so the stored history must still keep every promise.
        (string, string[])[] nodes = [("node-a", ["whole", "whole", "mig:3g.20gb,2g.10gb,1g.5gb,1g.5gb"])];
        await using var first = await Start(live: true, null, "a-" + _serviceId, nodes);
        await using var second = await Start(live: true, null, "b-" + _serviceId, nodes);
        string[] kinds = ["a100-40gb", "mig-1g.5gb", "mig-3g.20gb", "gpu"];

        await Task.WhenAll(new[] { first, second }.SelectMany((cluster, c) => Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var allocator = cluster.Grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key);
            var random = new Random(c * 100 + worker);
            for (var i = 0; i < 25; i++)
            {
                var kind = kinds[random.Next(kinds.Length)];
                var request = new GpuLeaseRequest($"c{c}-w{worker}-{i}", s_projects[random.Next(3)], "development", $"e{c}{worker}", $"n{i}", 1,
                    kind.StartsWith("mig-", StringComparison.Ordinal) ? kind : null, kind is "a100-40gb" ? kind : null, 1);
                await Contended(() => allocator.Request(request));
                await Contended(async () => { await allocator.Release(request.RequestId, "attempt ended"); return 0; });
            }
        }))));

        var history = await History(first);
        history.OfType<GpuLeaseGranted>().Should().HaveCountGreaterThan(50);
        GpuLeaseAudit.Check(history, GpuAllocatorPolicy.Default).Should().BeEmpty();
        var folded = new GpuAllocatorState();
        history.ForEach(folded.Apply);
        folded.Leases.Should().BeEmpty("every lease was released");
        folded.Waiting.Should().BeEmpty("every request was granted or withdrawn");
    }

    /// <summary>Retries a call that lost the race for the stream too often (its contract: nothing recorded, retry).</summary>
    private static async Task<T> Contended<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Abstractions.StreamContentionException) when (attempt < 20)
            {
            }
        }
    }

    private Task<FlyteCluster> Start(bool live, params (string Name, string[] Gpus)[] nodes) => Start(live ? new AlwaysLive() : null, null, _serviceId, nodes);

    private Task<FlyteCluster> Start(bool live, IGpuGrantNotifier? notifier, string serviceId, params (string Name, string[] Gpus)[] nodes) =>
        Start(live ? new AlwaysLive() : null, notifier, serviceId, nodes);

    private Task<FlyteCluster> Start(IGpuLeaseLiveness? liveness, IGpuGrantNotifier? notifier, params (string Name, string[] Gpus)[] nodes) =>
        Start(liveness, notifier, _serviceId, nodes);

    private async Task<FlyteCluster> Start(IGpuLeaseLiveness? liveness, IGpuGrantNotifier? notifier, string serviceId, params (string Name, string[] Gpus)[] nodes) =>
        await FlyteCluster.StartAsync(_database.ConnectionString, serviceId: serviceId, configureServices: services =>
        {
            if (notifier is not null)
            {
                services.Replace(ServiceDescriptor.Singleton(notifier));
            }

            services.Configure<GpuOptions>(o =>
            {
                o.Nodes = [.. nodes.Select(n => new GpuNodeOptions { Name = n.Name, Gpus = [.. n.Gpus] })];
                o.ReconcileInterval = TimeSpan.FromSeconds(1);
            });
            if (liveness is not null)
            {
                services.Replace(ServiceDescriptor.Singleton(liveness));
            }
        });

    private static async Task<List<GpuAllocatorEvent>> History(FlyteCluster cluster)
    {
        var store = cluster.SiloServices.GetRequiredService<MartenEventStreamStore>();
        var slice = await store.ReadAsync(StreamAddress.Cluster("gpu/allocator"));
        return [.. slice.Events.Select(e => (GpuAllocatorEvent)e.Data)];
    }

    /// <summary>Records whom the allocator told of a grant, in order.</summary>
    private sealed class RecordingGrantNotifier : IGpuGrantNotifier
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _requests = new();

        public IReadOnlyList<string> Requests => [.. _requests];

        public void Granted(IGrainFactory grains, GpuLeaseRequest request) => _requests.Enqueue(request.RequestId);
    }

    /// <summary>Every attempt counts as alive: these tests hand out leases to attempts no task grain knows.</summary>
    private sealed class AlwaysLive : IGpuLeaseLiveness
    {
        public Task<string?> CheckAsync(IGrainFactory grains, GpuLeaseRequest request) => Task.FromResult<string?>(null);
    }

    /// <summary>Every attempt counts as alive until <see cref="StartChecking"/>; from then on <paramref name="check"/> answers.</summary>
    private sealed class AliveUntilChecking(IGpuLeaseLiveness check) : IGpuLeaseLiveness
    {
        private volatile bool _checking;

        public void StartChecking() => _checking = true;

        public Task<string?> CheckAsync(IGrainFactory grains, GpuLeaseRequest request) =>
            _checking ? check.CheckAsync(grains, request) : Task.FromResult<string?>(null);
    }
}
