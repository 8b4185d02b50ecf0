using System.Text.Json;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Grains.Audit;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Grains.Gpus;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Audit;

/// <summary>
/// Capacity as of an instant, against the allocator grain on a real cluster and event store: a driver makes requests,
/// releases, withdrawals, quota changes and a cordon one at a time, recording the live capacity answer after each (the
/// answer names its own instant). Afterwards the as-of answer for every recorded instant equals the recording, folded from
/// the snapshots the allocator wrote on the way and folded from the first event alike.
/// </summary>
public sealed class CapacityAsOfTests : IAsyncLifetime
{
    private const int SnapshotEvery = 7;
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("capacity-as-of");

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Every_recorded_live_capacity_answer_equals_the_as_of_answer_for_its_instant_with_and_without_snapshots()
    {
        await using var cluster = await FlyteCluster.StartAsync(_database.ConnectionString, configureServices: services =>
        {
            services.Replace(ServiceDescriptor.Singleton<IGpuLeaseLiveness>(new AlwaysLive()));
            services.Replace(ServiceDescriptor.Singleton<IGpuGrantNotifier>(new NobodyToTell()));
            services.Configure<StreamSnapshotOptions>(o => o.Every = SnapshotEvery);
            services.Configure<GpuOptions>(o =>
            {
                o.Nodes =
                [
                    new GpuNodeOptions { Name = "node-a", Gpus = ["whole", "whole", "mig:3g.20gb,2g.10gb,1g.5gb,1g.5gb"] },
                    new GpuNodeOptions { Name = "node-b", Gpus = ["mig:3g.20gb,3g.20gb"] },
                ];
                o.ReconcileInterval = TimeSpan.FromHours(1); // nothing decides behind the driver's back
            });
        });
        var allocator = cluster.Grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key);
        var audit = (MartenAuditLog)cluster.SiloServices.GetRequiredService<IAuditLog>();
        await Eventually.Until(async () => (await allocator.GetCapacity()).Nodes.Count, n => n == 2, "both configured nodes to reach the allocator", TimeSpan.FromSeconds(30));

        var recorded = new List<GpuCapacity>();
        var random = new Random(7);
        var open = new List<string>();
        string[] kinds = ["a100-40gb", "mig-3g.20gb", "mig-1g.5gb", "mig-2g.10gb"];
        for (var i = 0; i < 60; i++)
        {
            var roll = random.Next(10);
            if (i == 30)
            {
                await cluster.Grains.GetGrain<IGpuNodeGrain>("node-b").Cordon("maintenance window", drain: false);
            }
            else if (i == 45)
            {
                await cluster.Grains.GetGrain<IGpuNodeGrain>("node-b").Uncordon("maintenance over");
            }
            else if (roll == 0)
            {
                await allocator.SetQuota("alpha", "development", "mig-1g.5gb", random.Next(1, 3), "fair share");
            }
            else if (roll < 4 && open.Count > 0)
            {
                var id = open[random.Next(open.Count)];
                open.Remove(id);
                await allocator.Release(id, random.Next(2) == 0 ? "attempt ended" : "aborted while waiting");
            }
            else
            {
                var kind = kinds[random.Next(kinds.Length)];
                var id = $"r{i}";
                open.Add(id);
                await allocator.Request(new GpuLeaseRequest(id, random.Next(2) == 0 ? "alpha" : "beta", random.Next(3) == 0 ? "production" : "development",
                    $"e{i}", "train", 1, kind.StartsWith("mig-", StringComparison.Ordinal) ? kind : null, kind == "a100-40gb" ? kind : null, 1));
            }

            recorded.Add(await allocator.GetCapacity());
        }

        recorded.Should().Contain(c => c.Queue.Count > 0, "some requests waited").And.Contain(c => c.Nodes.Any(n => n.Condition == "Cordoned"));
        var stored = await cluster.SiloServices.GetRequiredService<IEventStreamStore>().ReadAsync(StreamAddress.Cluster(MartenAuditLog.AllocatorStream));
        var version = stored.Version;
        var snapshots = cluster.SiloServices.GetRequiredService<StreamSnapshots>();
        await Eventually.Until(
            async () => (await snapshots.LatestAsync(StreamAddress.Cluster(MartenAuditLog.AllocatorStream), DateTimeOffset.MaxValue))?.Version ?? 0,
            v => v >= version / SnapshotEvery * SnapshotEvery, $"the allocator's snapshot at version {version / SnapshotEvery * SnapshotEvery} (of {version})",
            TimeSpan.FromSeconds(30), describe: v => $"the newest snapshot is at version {v}");

        // Every snapshot sits on the stored chain (so the as-of reads below start from them rather than falling back).
        await using (var session = cluster.SiloServices.GetRequiredService<IDocumentStore>().QuerySession())
        {
            var taken = await session.Query<StreamSnapshot>().Where(s => s.Stream == MartenAuditLog.AllocatorStream).ToListAsync();
            taken.Should().HaveCountGreaterThan(3);
            // One per multiple of the interval crossed (a write of several events may carry a stream past one: the snapshot is at its end).
            taken.Should().OnlyContain(s => s.Hash == stored.Events[(int)s.Version - 1].Hash);
            taken.Select(s => s.Version / SnapshotEvery).Should().OnlyHaveUniqueItems();
        }

        var mismatches = new List<string>();
        foreach (var live in recorded)
        {
            var expected = JsonSerializer.Serialize(live, s_json);
            var fromSnapshot = JsonSerializer.Serialize(await audit.CapacityAsOfAsync(live.At, fromSnapshot: true), s_json);
            var fromStart = JsonSerializer.Serialize(await audit.CapacityAsOfAsync(live.At, fromSnapshot: false), s_json);
            if (fromSnapshot != expected || fromStart != expected)
            {
                mismatches.Add($"{live.At:O}\n live:          {expected}\n from snapshot: {fromSnapshot}\n from start:    {fromStart}");
            }
        }

        mismatches.Should().BeEmpty($"each of the {recorded.Count} live answers must be replayed exactly");
    }

    [Fact]
    public async Task A_snapshot_that_does_not_continue_the_stored_chain_is_ignored_and_the_stream_is_folded_whole()
    {
        await using var host = await EventStoreHost.StartAsync("snapshot-mismatch");
        var store = host.Services.GetRequiredService<IEventStreamStore>();
        var stream = StreamAddress.Cluster(MartenAuditLog.AllocatorStream);
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        var request = new GpuLeaseRequest("r1", "alpha", "development", "e1", "train", 1, "mig-3g.20gb", null, 1);
        await store.AppendAsync(stream, 0, EventHashChain.Genesis,
            [Stamped(new GpuQuotaChanged("alpha", "development", "gpu", 3), at), Stamped(new GpuRequestQueued(request), at.AddSeconds(1))]);

        // A snapshot claiming the quota was 9 at version 1, with a hash the stored event 2 does not continue.
        var forged = new GpuAllocatorState();
        forged.Apply(Stamped(new GpuQuotaChanged("alpha", "development", "gpu", 9), at));
        await host.Services.GetRequiredService<StreamSnapshots>().SaveAsync(stream, 1, at, "not-the-stored-hash", StreamSnapshots.Serialize(forged));

        var audit = (MartenAuditLog)host.Services.GetRequiredService<IAuditLog>();
        var capacity = await audit.CapacityAsOfAsync(at.AddMinutes(1));

        capacity.Quotas.Should().ContainSingle(q => q.Project == "alpha").Which.Limit.Should().Be(3);
        capacity.Queue.Should().ContainSingle().Which.AttemptId.Should().Be("r1");
    }

    private static GpuAllocatorEvent Stamped(GpuAllocatorEvent e, DateTimeOffset at) =>
        (GpuAllocatorEvent)(e with { Meta = new EventMetadata(at, "alice@example.com", "c1", null) });

    private sealed class AlwaysLive : IGpuLeaseLiveness
    {
        public Task<string?> CheckAsync(IGrainFactory grains, GpuLeaseRequest request) => Task.FromResult<string?>(null);
    }

    private sealed class NobodyToTell : IGpuGrantNotifier
    {
        public void Granted(IGrainFactory grains, GpuLeaseRequest request)
        {
        }
    }
}
