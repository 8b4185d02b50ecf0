using System.Collections.Concurrent;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Kubernetes.Tests;

public sealed class RecordingInventorySink : IGpuInventorySink
{
    public ConcurrentQueue<(string Node, GpuNodeInventory? Inventory, bool Schedulable)> Calls { get; } = new();

    public Task NodeSeenAsync(GpuNodeInventory inventory, bool schedulable, string source, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue((inventory.Node, inventory, schedulable));
        return Task.CompletedTask;
    }

    public Task NodeGoneAsync(string node, string source, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue((node, null, false));
        return Task.CompletedTask;
    }
}

public static class Nodes
{
    /// <summary>A node as the NVIDIA GPU operator leaves it: device plugin allocatable + GFD labels.</summary>
    public static V1Node Gpu(string name, string product, int memoryMiB, int count, Dictionary<string, string> allocatable, string strategy = "mixed", bool unschedulable = false) => new()
    {
        ApiVersion = "v1",
        Kind = "Node",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string>
            {
                ["kubernetes.io/hostname"] = name,
                ["nvidia.com/gpu.present"] = "true",
                ["nvidia.com/gpu.product"] = product,
                ["nvidia.com/gpu.memory"] = memoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["nvidia.com/gpu.count"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["nvidia.com/gpu.family"] = "ampere",
                ["nvidia.com/mig.strategy"] = strategy,
                ["nvidia.com/cuda.driver.major"] = "550",
            },
        },
        Spec = new V1NodeSpec { Unschedulable = unschedulable ? true : null },
        Status = new V1NodeStatus
        {
            Allocatable = new Dictionary<string, ResourceQuantity>(allocatable.ToDictionary(a => a.Key, a => new ResourceQuantity(a.Value)))
            {
                ["cpu"] = new ResourceQuantity("126"),
                ["memory"] = new ResourceQuantity("1056Gi"),
                ["pods"] = new ResourceQuantity("110"),
            },
        },
    };

    public static V1Node Cpu(string name) => new()
    {
        ApiVersion = "v1",
        Kind = "Node",
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
        Status = new V1NodeStatus { Allocatable = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("32"), ["memory"] = new("128Gi") } },
    };
}

public sealed class GpuNodeConversionTests
{
    [Fact]
    public void Whole_gpus_become_devices_with_their_class_and_memory()
    {
        var inventory = GpuNodeConversion.ToInventory(Nodes.Gpu("dgx-01", "NVIDIA-A100-SXM4-80GB", 81920, 8, new() { ["nvidia.com/gpu"] = "8" }))!;

        inventory.Node.Should().Be("dgx-01");
        inventory.Devices.Should().HaveCount(8).And.OnlyContain(d => !d.MigEnabled && d.DeviceClass == "a100-80gb" && d.MemoryGb == 80 && d.Slices.Count == 0);
        inventory.Devices.Select(d => d.Id).Should().Equal(Enumerable.Range(0, 8).Select(i => $"dgx-01/gpu-{i}"));
        inventory.Devices[0].Model.Should().Be("NVIDIA A100 SXM4 80GB");
    }

    [Fact]
    public void A_mixed_layout_keeps_whole_gpus_and_spreads_slices_over_the_mig_gpus()
    {
        // 4 × A100-40GB: 2 whole; 2 split as 3g.20gb + 2g.10gb + 1g.5gb + 1g.5gb... twice (the device plugin only counts).
        var node = Nodes.Gpu("dgx-02", "NVIDIA-A100-SXM4-40GB", 40960, 4, new()
        {
            ["nvidia.com/gpu"] = "2",
            ["nvidia.com/mig-3g.20gb"] = "2",
            ["nvidia.com/mig-2g.10gb"] = "2",
            ["nvidia.com/mig-1g.5gb"] = "4",
        });

        var inventory = GpuNodeConversion.ToInventory(node)!;

        inventory.WholeDevices.Select(d => d.Id).Should().Equal("dgx-02/gpu-0", "dgx-02/gpu-1");
        var mig = inventory.Devices.Where(d => d.MigEnabled).ToList();
        mig.Select(d => d.Id).Should().Equal("dgx-02/gpu-2", "dgx-02/gpu-3");
        mig.Should().OnlyContain(d => d.DeviceClass == "a100-40gb" && d.Slices.Sum(s => s.ComputeUnits) == 7);
        mig[0].Slices.Select(s => s.Profile).Should().Equal("mig-3g.20gb", "mig-2g.10gb", "mig-1g.5gb", "mig-1g.5gb");
        inventory.Slices.Select(s => s.Slice.Id).Should().BeEquivalentTo(
            "dgx-02/mig-3g.20gb-0", "dgx-02/mig-3g.20gb-1", "dgx-02/mig-2g.10gb-0", "dgx-02/mig-2g.10gb-1",
            "dgx-02/mig-1g.5gb-0", "dgx-02/mig-1g.5gb-1", "dgx-02/mig-1g.5gb-2", "dgx-02/mig-1g.5gb-3");
        GpuNodeConversion.ToInventory(node)!.Equivalent(inventory).Should().BeTrue("the same layout yields the same ids");
    }

    [Fact]
    public void An_h100_split_into_seven_small_slices_is_one_mig_gpu()
    {
        var inventory = GpuNodeConversion.ToInventory(Nodes.Gpu("h-01", "NVIDIA-H100-80GB-HBM3", 81559, 1, new() { ["nvidia.com/gpu"] = "0", ["nvidia.com/mig-1g.10gb"] = "7" }))!;

        var device = inventory.Devices.Should().ContainSingle().Subject;
        device.Should().Match<GpuDevice>(d => d.MigEnabled && d.DeviceClass == "h100-80gb" && d.MemoryGb == 80 && d.Id == "h-01/gpu-0");
        device.Slices.Should().HaveCount(7).And.OnlyContain(s => s.Profile == "mig-1g.10gb");
    }

    [Fact]
    public void Single_strategy_slices_are_read_from_the_product_label()
    {
        var inventory = GpuNodeConversion.ToInventory(Nodes.Gpu("s-01", "NVIDIA-A100-SXM4-40GB-MIG-1g.5gb", 4864, 14, new() { ["nvidia.com/gpu"] = "14" }, strategy: "single"))!;

        inventory.Devices.Should().HaveCount(2).And.OnlyContain(d => d.MigEnabled && d.Slices.Count == 7 && d.DeviceClass == "a100-40gb");
        inventory.Slices.Should().OnlyContain(s => s.Slice.Profile == "mig-1g.5gb");
    }

    [Fact]
    public void Nodes_without_gpus_have_no_inventory()
    {
        GpuNodeConversion.ToInventory(Nodes.Cpu("cpu-01")).Should().BeNull();
    }
}

/// <summary>The discovery service against the stand-in API server.</summary>
public sealed class KubernetesNodeDiscoveryTests : IAsyncLifetime
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);
    private FakeKubernetesApi _api = null!;
    private readonly RecordingInventorySink _sink = new();

    public async Task InitializeAsync() => _api = await FakeKubernetesApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Discovery_reports_gpu_nodes_follows_a_mig_layout_change_cordons_and_removals()
    {
        _api.PutNode(Nodes.Gpu("dgx-01", "NVIDIA-A100-SXM4-40GB", 40960, 2, new() { ["nvidia.com/gpu"] = "2" }));
        _api.PutNode(Nodes.Cpu("cpu-01"));
        using var discovery = new KubernetesNodeDiscovery(_api.Client(), _sink, Options.Create(new KubernetesOptions { WatchRetryDelay = TimeSpan.FromMilliseconds(100) }), TimeProvider.System, NullLogger<KubernetesNodeDiscovery>.Instance);
        await discovery.StartAsync(CancellationToken.None);
        try
        {
            await Eventually.Until(() => _sink.Calls.Any(c => c.Node == "dgx-01"), "dgx-01 to be reported", s_wait);
            _sink.Calls.Should().ContainSingle().Which.Should().Match<(string Node, GpuNodeInventory? Inventory, bool Schedulable)>(c => c.Schedulable && c.Inventory!.WholeDevices.Count() == 2);

            // The GPU operator re-partitions one GPU: 1 whole + 3g.20gb, 2g.10gb, 1g.5gb ×2.
            _api.PutNode(Nodes.Gpu("dgx-01", "NVIDIA-A100-SXM4-40GB", 40960, 2, new()
            {
                ["nvidia.com/gpu"] = "1", ["nvidia.com/mig-3g.20gb"] = "1", ["nvidia.com/mig-2g.10gb"] = "1", ["nvidia.com/mig-1g.5gb"] = "2",
            }));
            await Eventually.Until(() => _sink.Calls.Count(c => c.Node == "dgx-01") == 2, "the new MIG layout to be reported", s_wait);
            var changed = _sink.Calls.Last().Inventory!;
            changed.WholeDevices.Select(d => d.Id).Should().Equal("dgx-01/gpu-0");
            changed.Devices.Single(d => d.MigEnabled).Slices.Select(s => s.Id).Should().Equal("dgx-01/mig-3g.20gb-0", "dgx-01/mig-2g.10gb-0", "dgx-01/mig-1g.5gb-0", "dgx-01/mig-1g.5gb-1");

            _api.PutNode(Nodes.Gpu("dgx-01", "NVIDIA-A100-SXM4-40GB", 40960, 2, new()
            {
                ["nvidia.com/gpu"] = "1", ["nvidia.com/mig-3g.20gb"] = "1", ["nvidia.com/mig-2g.10gb"] = "1", ["nvidia.com/mig-1g.5gb"] = "2",
            }, unschedulable: true));
            await Eventually.Until(() => _sink.Calls.Last() is { Node: "dgx-01", Schedulable: false }, "the cordon to be reported", s_wait);

            // A node that comes while the watch is expired is found by the relist.
            _api.ExpireWatches(() => _api.PutNode(Nodes.Gpu("dgx-02", "NVIDIA-H100-80GB-HBM3", 81559, 8, new() { ["nvidia.com/gpu"] = "8" })));
            await Eventually.Until(() => _sink.Calls.Any(c => c.Node == "dgx-02"), "dgx-02 to be found by the relist", s_wait);

            _api.DeleteNode("dgx-01");
            await Eventually.Until(() => _sink.Calls.Last() is { Node: "dgx-01", Inventory: null }, "dgx-01 to be gone", s_wait);
            _sink.Calls.Should().NotContain(c => c.Node == "cpu-01");
        }
        finally
        {
            await discovery.StopAsync(CancellationToken.None);
        }
    }
}
