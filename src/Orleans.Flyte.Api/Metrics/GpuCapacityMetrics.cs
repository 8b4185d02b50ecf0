using Orleans.Flyte.Abstractions.Gpus;
using Prometheus;

namespace Orleans.Flyte.Api.Metrics;

/// <summary>
/// GPU capacity for Prometheus (and the Grafana dashboard in <c>dashboards/</c>): read from the allocator at scrape
/// time, so the figures are exactly what <c>/api/v1/capacity</c> says at that moment. One registry per host, so
/// several platforms in one process (tests) never mix their figures.
/// </summary>
public sealed class GpuCapacityMetrics
{
    private readonly Gauge _units;
    private readonly Gauge _waitingUnits;
    private readonly Gauge _queueLength;
    private readonly Gauge _oldestWait;
    private readonly Gauge _heldByScope;
    private readonly Gauge _quota;
    private readonly Gauge _nodeSchedulable;
    private readonly Gauge _holders;

    public GpuCapacityMetrics(IClusterClient grains, PlatformMetrics platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        var factory = platform.Factory;
        _units = factory.CreateGauge("flyte_gpu_units", "GPU units (whole GPUs or MIG slices) by resource and state: free, held, unavailable (free on a cordoned, draining or gone node).", "resource", "state");
        _waitingUnits = factory.CreateGauge("flyte_gpu_waiting_units", "Units requested by task attempts waiting in the allocator's queue.", "resource");
        _queueLength = factory.CreateGauge("flyte_gpu_queue_length", "Task attempts waiting for GPUs.");
        _oldestWait = factory.CreateGauge("flyte_gpu_oldest_wait_seconds", "How long the longest-waiting request for a resource has waited.", "resource");
        _heldByScope = factory.CreateGauge("flyte_gpu_held_units", "Units held, by project, domain and resource.", "project", "domain", "resource");
        _quota = factory.CreateGauge("flyte_gpu_quota_units", "Quota: the most units a project/domain may hold at once (explicit quotas).", "project", "domain", "resource");
        _nodeSchedulable = factory.CreateGauge("flyte_gpu_node_schedulable", "1 when the node takes new work, 0 when cordoned, draining or gone.", "node", "condition");
        // One series per held unit (bounded by the inventory): the "who holds which slice" table. The value is when the
        // holder got it, so the table shows "since" and `time() - ...` shows for how long.
        _holders = factory.CreateGauge("flyte_gpu_unit_held_since_timestamp_seconds",
            "Who holds each GPU unit: node, GPU, slice (empty for a whole GPU), resource, holder project/domain, execution, task node and attempt; the value is when it was granted (Unix seconds).",
            "node", "gpu", "slice", "resource", "project", "domain", "execution", "task_node", "attempt");
        platform.Registry.AddBeforeCollectCallback(async cancellationToken =>
            Update(await grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key).GetCapacity().WaitAsync(cancellationToken)));
    }

    private void Update(GpuCapacity capacity)
    {
        Reset(_units, _waitingUnits, _oldestWait, _heldByScope, _quota, _nodeSchedulable, _holders);
        foreach (var r in capacity.Resources)
        {
            _units.WithLabels(r.Resource, "free").Set(r.Free);
            _units.WithLabels(r.Resource, "held").Set(r.Held);
            _units.WithLabels(r.Resource, "unavailable").Set(r.Unavailable);
            _waitingUnits.WithLabels(r.Resource).Set(r.Waiting);
        }

        _queueLength.Set(capacity.Queue.Count);
        foreach (var oldest in capacity.Queue.GroupBy(q => q.Resource, StringComparer.Ordinal))
        {
            _oldestWait.WithLabels(oldest.Key).Set((capacity.At - oldest.Min(q => q.WaitingSince)).TotalSeconds);
        }

        var held = capacity.Nodes
            .SelectMany(n => n.Devices.SelectMany(d => d.Mig
                ? d.Slices.Where(s => s.HeldBy is not null).Select(s => (s.HeldBy!, Resource: s.Profile))
                : d.HeldBy is { } h ? [(h, Resource: d.DeviceClass)] : []))
            .GroupBy(x => (x.Item1.Project, x.Item1.Domain, x.Resource));
        foreach (var group in held)
        {
            _heldByScope.WithLabels(group.Key.Project, group.Key.Domain, group.Key.Resource).Set(group.Count());
        }

        foreach (var quota in capacity.Quotas.Where(q => !q.Default))
        {
            _quota.WithLabels(quota.Project, quota.Domain, quota.Resource).Set(quota.Limit);
        }

        foreach (var node in capacity.Nodes)
        {
            foreach (var device in node.Devices)
            {
                if (device.HeldBy is { } whole)
                {
                    Hold(node.Name, device, string.Empty, device.DeviceClass, whole);
                }

                foreach (var slice in device.Slices)
                {
                    if (slice.HeldBy is { } holder)
                    {
                        Hold(node.Name, device, slice.Id, slice.Profile, holder);
                    }
                }
            }

            _nodeSchedulable.WithLabels(node.Name, node.Condition).Set(node.Condition == "Schedulable" ? 1 : 0);
        }
    }

    private void Hold(string node, CapacityDevice device, string slice, string resource, LeaseHolder holder) =>
        _holders.WithLabels(node, device.Id, slice, resource, holder.Project, holder.Domain, holder.Execution, holder.Node,
            holder.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture)).Set(holder.Since.ToUnixTimeMilliseconds() / 1000.0);

    /// <summary>Series that no longer exist (a released project's usage, a removed node) disappear instead of going stale.</summary>
    private static void Reset(params Gauge[] gauges)
    {
        foreach (var gauge in gauges)
        {
            foreach (var labels in gauge.GetAllLabelValues().ToList())
            {
                gauge.RemoveLabelled(labels);
            }
        }
    }
}
