using System.Diagnostics.Metrics;
using Orleans.Flyte.Abstractions;
using Prometheus;

namespace Orleans.Flyte.Api.Metrics;

/// <summary>
/// This host's Prometheus registry, served at <c>/metrics</c>: the engine's instruments (<see cref="PlatformMeter"/>,
/// exported by <see cref="MeterExport"/>), the GPU capacity read at scrape time (<see cref="GpuCapacityMetrics"/>) and the
/// HTTP request metrics of prometheus-net.AspNetCore. One registry per host, so several platforms in one process (tests)
/// never mix their figures.
/// </summary>
public sealed class PlatformMetrics : IDisposable
{
    private readonly MeterExport _engine;

    public PlatformMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        Registry = Prometheus.Metrics.NewCustomRegistry();
        _engine = new MeterExport(Registry, meters, PlatformMeter.Name);
    }

    public CollectorRegistry Registry { get; }

    public MetricFactory Factory => Prometheus.Metrics.WithCustomRegistry(Registry);

    public void Dispose() => _engine.Dispose();
}
