using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Domain.Tests.Gpus;

/// <summary>Builds allocator states by applying events, as the grain does.</summary>
internal sealed class GpuTestInventory
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 29, 8, 0, 0, TimeSpan.Zero);

    private int _arrivals;

    public GpuAllocatorState State { get; } = new();

    public List<GpuAllocatorEvent> History { get; } = [];

    public DateTimeOffset Now { get; set; } = T0;

    public GpuTestInventory Node(string name, params string[] gpus) => Node(name, "NVIDIA A100-SXM4-40GB", 40, gpus);

    public GpuTestInventory Node(string name, string model, int memoryGb, params string[] gpus)
    {
        var errors = new List<string>();
        var inventory = GpuLayout.Parse(name, model, memoryGb, gpus, errors);
        errors.Should().BeEmpty();
        return Apply(new GpuNodeObserved(new GpuNodeSnapshot(inventory, GpuNodeCondition.Schedulable, null)));
    }

    public GpuTestInventory Condition(string name, GpuNodeCondition condition, string? reason = null) =>
        Apply(new GpuNodeObserved(State.Nodes[name] with { Condition = condition, Reason = reason }));

    public GpuLeaseRequest Request(string shape, string project = "alpha", string domain = "development", int priority = 0)
    {
        var id = $"r{++_arrivals}";
        var (count, unit) = ParseShape(shape);
        var profile = unit.StartsWith("mig-", StringComparison.Ordinal) ? unit : null;
        var deviceClass = profile is null && unit != "gpu" ? unit : null;
        var request = new GpuLeaseRequest(id, project, domain, "e" + id, "n", 1, profile, deviceClass, count, priority);
        Apply(new GpuRequestQueued(request));
        return request;
    }

    /// <summary>Grants until nothing more fits, as the grain does.</summary>
    public IReadOnlyList<GpuPlacement> Decide(GpuAllocatorPolicy? policy = null)
    {
        var all = new List<GpuPlacement>();
        while (GpuScheduler.Schedule(State, policy ?? GpuAllocatorPolicy.Default, Now) is { Count: > 0 } placements)
        {
            foreach (var p in placements)
            {
                Apply(new GpuLeaseGranted(p.RequestId, p.Node, p.UnitIds, p.ResourceName));
            }

            all.AddRange(placements);
        }

        return all;
    }

    public GpuTestInventory Release(string requestId) => Apply(new GpuLeaseReleased(requestId, "done"));

    public GpuTestInventory Quota(string project, string domain, string resource, int? limit) =>
        Apply(new GpuQuotaChanged(project, domain, resource, limit));

    public GpuTestInventory Apply(GpuAllocatorEvent @event)
    {
        var stamped = @event with { Meta = new EventMetadata(Now, "test", null, null) };
        State.Apply(stamped);
        History.Add(stamped);
        return this;
    }

    /// <summary>"2 × a100-40gb", "1 × mig-3g.20gb", "1 × gpu" (any class).</summary>
    private static (int Count, string Unit) ParseShape(string shape)
    {
        var parts = shape.Split('×', StringSplitOptions.TrimEntries);
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1]);
    }
}
