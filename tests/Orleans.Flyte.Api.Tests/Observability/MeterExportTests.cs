using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Api.Metrics;
using Prometheus;

namespace Orleans.Flyte.Api.Tests.Observability;

/// <summary>How the engine's instruments reach the Prometheus text format: names as given, labels from tags, the advised
/// histogram buckets, gauges read at each scrape, and only the instruments of the export's own host.</summary>
public sealed class MeterExportTests
{
    [Fact]
    public async Task Instruments_of_its_own_host_are_exported_under_their_names_with_their_labels_and_buckets()
    {
        using var ours = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var theirs = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var registry = Prometheus.Metrics.NewCustomRegistry();
        using var export = new MeterExport(registry, ours.GetRequiredService<IMeterFactory>(), "Test.Meter");
        var meter = ours.GetRequiredService<IMeterFactory>().Create("Test.Meter");
        var other = theirs.GetRequiredService<IMeterFactory>().Create("Test.Meter");
        var held = 2;

        meter.CreateCounter<long>("test_things_total", null, "Things.").Add(3, new("project", "lab"), new("phase", "failed"));
        other.CreateCounter<long>("test_things_total", null, "Things.").Add(100, new("project", "lab"), new("phase", "failed"));
        meter.CreateHistogram<double>("test_wait_seconds", "s", "Waits.", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 10] })
            .Record(5, new KeyValuePair<string, object?>("resource", "mig-3g.20gb"));
        meter.CreateObservableGauge("test_held", () => Enumerable.Range(0, held).Select(i => new Measurement<long>(1, new KeyValuePair<string, object?>("slice", $"s{i}"))), null, "Held.");

        var text = await Scrape(registry);
        held = 1;
        var later = await Scrape(registry);

        text.Should().Contain("# HELP test_things_total Things.\n# TYPE test_things_total counter\ntest_things_total{project=\"lab\",phase=\"failed\"} 3\n",
            "the other host's 100 is not ours");
        text.Should().Contain("test_wait_seconds_bucket{resource=\"mig-3g.20gb\",le=\"1\"} 0\n")
            .And.Contain("test_wait_seconds_bucket{resource=\"mig-3g.20gb\",le=\"10\"} 1\n")
            .And.Contain("test_wait_seconds_sum{resource=\"mig-3g.20gb\"} 5\n");
        text.Should().Contain("test_held{slice=\"s0\"} 1\n").And.Contain("test_held{slice=\"s1\"} 1\n");
        later.Should().Contain("test_held{slice=\"s0\"} 1\n").And.NotContain("s1", "a gauge's series are what it reports now");
    }

    private static async Task<string> Scrape(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
