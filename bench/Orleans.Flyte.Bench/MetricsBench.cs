using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Api.Metrics;
using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Bench;

/// <summary>
/// What metrics cost the engine: the same workload (instant runner) in alternating rounds with the Prometheus export off
/// (no listener on the engine's meter: each recording is one check) and on (the API's <see cref="PlatformMetrics"/> and
/// GPU capacity collectors, scraped once a second as Prometheus would), in one process, on one database. Alternating
/// rounds spread drift (a warmer JIT, a busier machine) over both sides.
/// </summary>
internal static class MetricsBench
{
    public static async Task Run(IHost host, IGrainFactory grains, ExecutionPlan plan, string connectionString, int executions, int rounds)
    {
        var off = new List<double>();
        var on = new List<double>();
        var cpuOff = new List<double>();
        var cpuOn = new List<double>();
        using var self = Process.GetCurrentProcess();
        for (var round = 0; round < rounds * 2; round++)
        {
            var metricsOn = round % 2 == 1;
            using var metrics = metricsOn ? new PlatformMetrics(host.Services.GetRequiredService<IMeterFactory>()) : null;
            if (metrics is not null)
            {
                _ = new GpuCapacityMetrics(host.Services.GetRequiredService<IClusterClient>(), metrics);
            }

            using var scraping = new CancellationTokenSource();
            var scraper = metrics is null ? Task.CompletedTask : Scrape(metrics, scraping.Token);
            var project = $"bench-{round}";
            self.Refresh();
            var cpuBefore = self.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, executions), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (_, _) =>
                await grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(project, "development", ExecutionIds.New())).Create(
                    new CreateExecution(project, "development", plan, "{}", null, false, null, null, new Dictionary<string, string>(), null, null)));
            await WaitForAll(connectionString, project, executions);
            var tasks = executions * plan.Nodes.Count;
            var rate = tasks / watch.Elapsed.TotalSeconds;
            self.Refresh();
            var cpuPerTask = (self.TotalProcessorTime - cpuBefore).TotalMicroseconds / tasks;
            await scraping.CancelAsync();
            await scraper.ContinueWith(static _ => { }, TaskScheduler.Default); // cancelled on purpose
            (metricsOn ? on : off).Add(rate);
            (metricsOn ? cpuOn : cpuOff).Add(cpuPerTask);
            Console.WriteLine($"round {round + 1}: metrics {(metricsOn ? "on " : "off")}  {rate,8:F1} tasks/s ({watch.Elapsed.TotalSeconds:F2} s), silo CPU {cpuPerTask,6:F0} µs/task");
        }

        var (meanOff, meanOn) = (off.Average(), on.Average());
        Console.WriteLine($"metrics off: {meanOff:F1} tasks/s (mean of {off.Count}), metrics on: {meanOn:F1} tasks/s (mean of {on.Count})");
        Console.WriteLine($"throughput with metrics on / off: {meanOn / meanOff:P1} ({(meanOn / meanOff - 1) * 100:+0.0;-0.0} %)");
        Console.WriteLine($"silo process CPU per task: off {cpuOff.Average():F0} µs, on {cpuOn.Average():F0} µs ({(cpuOn.Average() / cpuOff.Average() - 1) * 100:+0.0;-0.0} %)");
        RecordingCost();
    }

    /// <summary>The cost of one recording through the export against one with nobody listening, on one thread: the bound
    /// that wall-clock rounds on a busy machine cannot resolve.</summary>
    private static void RecordingCost()
    {
        const int n = 2_000_000;
        foreach (var exported in new[] { false, true })
        {
            using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var factory = services.GetRequiredService<IMeterFactory>();
            using var export = exported ? new MeterExport(Prometheus.Metrics.NewCustomRegistry(), factory, Abstractions.PlatformMeter.Name) : null;
            var meter = factory.Create(Abstractions.PlatformMeter.Name);
            var counter = meter.CreateCounter<long>("bench_total");
            var histogram = meter.CreateHistogram<double>("bench_seconds");
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < n; i++)
            {
                counter.Add(1, new("project", "lab"), new("domain", "development"), new("phase", "succeeded"));
                histogram.Record(0.01, new KeyValuePair<string, object?>("project", "lab"), new("domain", "development"));
            }

            Console.WriteLine($"one recording (counter with 3 labels, histogram with 2), export {(exported ? "on " : "off")}: {watch.Elapsed.TotalNanoseconds / (2.0 * n):F0} ns");
        }
    }

    /// <summary>A scrape a second, as Prometheus would: collect every collector and write the text format.</summary>
    private static async Task Scrape(PlatformMetrics metrics, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
        {
            await metrics.Registry.CollectAndExportAsTextAsync(Stream.Null, stop).ConfigureAwait(false);
        }
    }

    private static async Task WaitForAll(string connectionString, string project, int executions)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        while (true)
        {
            await using var query = new NpgsqlCommand(
                "select count(*) filter (where (data->>'Phase')::int = 3), count(*) filter (where (data->>'Phase')::int in (5, 7, 8)) from flyte.mt_doc_executionsummarydocument where data->>'Project' = @p",
                connection);
            query.Parameters.AddWithValue("p", project);
            await using var reader = await query.ExecuteReaderAsync();
            await reader.ReadAsync();
            var (succeeded, failed) = (reader.GetInt64(0), reader.GetInt64(1));
            if (failed > 0)
            {
                throw new InvalidOperationException($"{failed} executions of {project} did not succeed.");
            }

            if (succeeded == executions)
            {
                return;
            }

            await Task.Delay(50);
        }
    }
}
