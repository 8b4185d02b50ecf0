using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Grains.Gpus;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Observability;

/// <summary>
/// The engine counts what it recorded, once, when it is durable: a real silo and event store, a listener on the silo's own
/// meter (as the API's export is), and a grain whose stream is read back after it deactivates.
/// </summary>
public sealed class EngineMetricsTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("metrics");

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task The_allocator_counts_each_decision_once_with_the_wait_and_nothing_when_its_stream_is_read_back()
    {
        await using (var cluster = await Start())
        {
            using var recorded = new Recorded(cluster.SiloServices.GetRequiredService<IMeterFactory>());
            var allocator = cluster.Grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key);
            GpuLeaseRequest Request(string id) => new(id, "alpha", "development", "e-" + id, "n", 1, null, "a100-40gb", 1);

            (await allocator.Request(Request("first"))).State.Should().Be(GpuLeaseState.Granted);
            (await allocator.Request(Request("second"))).State.Should().Be(GpuLeaseState.Waiting);
            await allocator.Release("first", "done");
            await Eventually.Until(async () => (await allocator.GetStatus("second")).State == GpuLeaseState.Granted, "the second grant", TimeSpan.FromSeconds(30));
            await allocator.Release("second", "done");

            recorded.Sum("flyte_gpu_allocator_decisions_total", "decision", "queued").Should().Be(2);
            recorded.Sum("flyte_gpu_allocator_decisions_total", "decision", "granted").Should().Be(2);
            recorded.Sum("flyte_gpu_allocator_decisions_total", "decision", "released").Should().Be(2);
            recorded.Sum("flyte_gpu_grants_total", "resource", "a100-40gb").Should().Be(2);
            recorded.Sum("flyte_gpu_releases_total", "resource", "a100-40gb").Should().Be(2);
            var waits = recorded.Values("flyte_gpu_wait_seconds", "resource", "a100-40gb");
            waits.Should().HaveCount(2);
            waits.Max().Should().BeGreaterThan(0, "the second request waited for the first to be released");
            recorded.Sum("flyte_event_store_appended_events_total").Should().BeGreaterThan(0);
        }

        // A restarted silo folds the stream again: nothing it reads is counted a second time.
        await using var restarted = await Start();
        using var afterRestart = new Recorded(restarted.SiloServices.GetRequiredService<IMeterFactory>());
        var capacity = await restarted.Grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key).GetCapacity();
        capacity.Resources.Should().ContainSingle(r => r.Held == 0 && r.Total == 1, "the allocator is active again, its stream read back");
        afterRestart.Since(0).Where(m => m.Name.StartsWith("flyte_gpu_", StringComparison.Ordinal)).Should().BeEmpty();
    }

    private Task<FlyteCluster> Start() => FlyteCluster.StartAsync(_database.ConnectionString, serviceId: "metrics", configureServices: services =>
    {
        services.Configure<GpuOptions>(o => o.Nodes = [new GpuNodeOptions { Name = "node-a", Gpus = ["whole"] }]);
        services.Replace(ServiceDescriptor.Singleton<IGpuLeaseLiveness>(new AlwaysLive()));
    });

    private sealed class AlwaysLive : IGpuLeaseLiveness
    {
        public Task<string?> CheckAsync(IGrainFactory grains, GpuLeaseRequest request) => Task.FromResult<string?>(null);
    }

    /// <summary>Every measurement of the platform meter made by one host's meter factory.</summary>
    private sealed class Recorded : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Name, double Value, Dictionary<string, string?> Tags)> _all = new();

        public Recorded(IMeterFactory scope)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PlatformMeter.Name && ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
            _listener.Start();
        }

        public IEnumerable<(string Name, double Value, Dictionary<string, string?> Tags)> Since(int index) => _all.Skip(index);

        public double Sum(string name, string? tag = null, string? value = null) => Values(name, tag, value).Sum();

        public List<double> Values(string name, string? tag = null, string? value = null) =>
            [.. _all.Where(m => m.Name == name && (tag is null || (m.Tags.TryGetValue(tag, out var v) && v == value))).Select(m => m.Value)];

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var map = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value?.ToString();
            }

            _all.Enqueue((instrument.Name, value, map));
        }
    }
}
