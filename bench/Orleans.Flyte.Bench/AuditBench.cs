using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Grains.Audit;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Grains.Hosting;

namespace Orleans.Flyte.Bench;

/// <summary>
/// Audit replay at scale (issue 13), against the event store alone (no silo): seeds a domain with realistic execution
/// streams, then measures, in one run: the raw read rate of the domain's rows from PostgreSQL (the ceiling), the verify
/// rate (every chain recomputed), the export rate and its memory (history streamed as NDJSON to nowhere), history page
/// latency (p50/p99 over random cursors) and the as-of fold of one execution with many nodes.
/// Then capacity as of instants over a long allocator stream, from snapshots and from the first event (<see cref="AllocatorAsOfBench"/>).
/// Usage: scripts/bench audit [events=1000000] [asOfNodes=1000] [allocatorEvents=100000] [snapshotEvery=1000]
/// </summary>
internal static class AuditBench
{
    private const string Project = "bench";
    private const string Domain = "production";
    private static readonly string s_tenant = StreamAddress.TenantOf(Project, Domain);

    public static async Task RunAsync(string[] args, string connectionString)
    {
        var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        var asOfNodes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
        var allocatorEvents = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100_000;
        var snapshotEvery = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1000;
        var database = "bench_audit_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = new NpgsqlConnection(connectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        try
        {
            var benchConnection = new NpgsqlConnectionStringBuilder(connectionString) { Database = database, MaxPoolSize = 100 }.ConnectionString;
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddOrleansFlyteEventStore(benchConnection);
            using var host = builder.Build();
            await host.StartAsync();
            var store = host.Services.GetRequiredService<IEventStreamStore>();
            var audit = host.Services.GetRequiredService<IAuditLog>();

            var seed = Stopwatch.StartNew();
            var written = await Seed(store, events);
            var bigId = await SeedWide(store, asOfNodes);
            Console.WriteLine($"seeded {written + (2 * asOfNodes) + 2 + (4 * asOfNodes):N0} events in {s_tenant} in {seed.Elapsed.TotalSeconds:F1} s");

            var total = await Scalar(benchConnection, $"select count(*) from flyte.mt_events where tenant_id = '{s_tenant}'");
            var raw = Stopwatch.StartNew();
            long rawRows = 0;
            await using (var connection = new NpgsqlConnection(benchConnection))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand(
                    "select data, headers->>'hash' from flyte.mt_events where tenant_id = @t order by stream_id, version", connection);
                command.Parameters.AddWithValue("t", s_tenant);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    _ = reader.GetString(0);
                    rawRows++;
                }
            }

            var rawRate = rawRows / raw.Elapsed.TotalSeconds;
            Console.WriteLine($"raw read (same rows, same order, text only): {rawRows:N0} rows in {raw.Elapsed.TotalSeconds:F1} s = {rawRate:N0} rows/s");

            var verify = Stopwatch.StartNew();
            var report = await audit.VerifyAsync(s_tenant, null);
            Console.WriteLine($"verify: {report.Events:N0} events in {report.Streams:N0} streams, intact={report.Intact}, {verify.Elapsed.TotalSeconds:F1} s = {report.Events / verify.Elapsed.TotalSeconds:N0} events/s ({100 * report.Events / verify.Elapsed.TotalSeconds / rawRate:F0}% of raw)");

            // The export path of GET .../history with Accept: application/x-ndjson: read, deserialize, shape, serialize, write.
            var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
            GC.Collect();
            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            long peakHeap = 0;
            long exported = 0;
            var export = Stopwatch.StartNew();
            await foreach (var entry in audit.HistoryAsync(new HistoryQuery(s_tenant)))
            {
                await JsonSerializer.SerializeAsync(Stream.Null, entry, json);
                if (++exported % 50_000 == 0)
                {
                    peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: true) - heapBefore);
                }
            }

            Console.WriteLine($"export (NDJSON path to a null stream): {exported:N0} events in {export.Elapsed.TotalSeconds:F1} s = {exported / export.Elapsed.TotalSeconds:N0} events/s; " +
                $"live heap after full GC, sampled every 50,000 events, at most {peakHeap / 1024.0 / 1024.0:F1} MiB above the start (process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024:N0} MiB)");

            var maxSequence = await Scalar(benchConnection, "select max(seq_id) from flyte.mt_events");
            var random = new Random(42);
            var pages = new List<double>();
            for (var i = 0; i < 500; i++)
            {
                var after = random.NextInt64(0, maxSequence);
                var page = Stopwatch.StartNew();
                var count = 0;
                await foreach (var _ in audit.HistoryAsync(new HistoryQuery(s_tenant, after, 101)))
                {
                    count++;
                }

                pages.Add(page.Elapsed.TotalMilliseconds);
            }

            var kindPages = new List<double>();
            for (var i = 0; i < 200; i++)
            {
                var after = random.NextInt64(0, maxSequence);
                var page = Stopwatch.StartNew();
                await foreach (var _ in audit.HistoryAsync(new HistoryQuery(s_tenant, after, 101, StreamPrefixes: ["execution/"], Principal: "alice@example.com")))
                {
                }

                kindPages.Add(page.Elapsed.TotalMilliseconds);
            }

            Console.WriteLine($"history page of 100 at a random cursor ({total:N0} events in the domain): p50 {Percentile(pages, 50):F1} ms, p99 {Percentile(pages, 99):F1} ms; " +
                $"with kind+principal filters: p50 {Percentile(kindPages, 50):F1} ms, p99 {Percentile(kindPages, 99):F1} ms");

            var asOf = new List<double>();
            for (var i = 0; i < 60; i++)
            {
                var fold = Stopwatch.StartNew();
                var answer = await audit.ExecutionAsOfAsync(Project, Domain, bigId, DateTimeOffset.UtcNow.AddDays(1));
                asOf.Add(fold.Elapsed.TotalMilliseconds);
                if (answer?.Execution.Nodes.Count != asOfNodes)
                {
                    throw new InvalidOperationException("the wide execution did not fold");
                }
            }

            Console.WriteLine($"as-of of one execution with {asOfNodes:N0} nodes ({(asOfNodes * 6) + 2:N0} events): min {asOf.Min():F1} ms, p50 {Percentile(asOf, 50):F1} ms, p99 {Percentile(asOf, 99):F1} ms");
            if (allocatorEvents > 0)
            {
                await AllocatorAsOfBench.RunAsync(
                    store, host.Services.GetRequiredService<StreamSnapshots>(), (MartenAuditLog)audit, allocatorEvents, snapshotEvery);
            }

            await host.StopAsync();
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(connectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop database if exists {database} with (force)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Executions of one node each (9 events: 5 in the workflow stream, 4 in the node's), 64 writers through group commit.</summary>
    private static async Task<long> Seed(IEventStreamStore store, int events)
    {
        var executions = events / 9;
        var next = -1;
        var principals = new[] { "alice@example.com", "bob@example.com", "system:scheduler" };
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < executions)
            {
                var id = $"b{i:D10}";
                var at = DateTimeOffset.UtcNow;
                var who = principals[i % principals.Length];
                var plan = new ExecutionPlan("train", "v1", false, null,
                    [new PlanNode("fit", "fit@v1", """{"container":{"image":"local"}}""", new Dictionary<string, string>(), [])], new Dictionary<string, string>());
                await store.AppendAsync(new StreamAddress(s_tenant, $"execution/{id}"), 0, EventHashChain.Genesis,
                [
                    Stamp(new ExecutionAccepted(id, Project, Domain, plan, """{"x":1}""", "h", null, false, null, null, null, null, new Dictionary<string, string>()), at, who, id),
                    Stamp(new ExecutionStarted(), at, who, id),
                    Stamp(new NodeReady("fit", """{"x":1}"""), at, who, id),
                    Stamp(new NodeSucceeded("fit", """{"y":2}""", false, null), at, who, id),
                    Stamp(new ExecutionSucceeded("""{"y":2}"""), at, who, id),
                ]);
                await store.AppendAsync(new StreamAddress(s_tenant, $"execution/{id}/fit"), 0, EventHashChain.Genesis, TaskEvents(id, "fit", at, who));
            }
        }));
        return executions * 9L;
    }

    /// <summary>One execution with <paramref name="nodes"/> nodes, all succeeded: the as-of subject.</summary>
    private static async Task<string> SeedWide(IEventStreamStore store, int nodes)
    {
        const string id = "wide0000000000";
        var at = DateTimeOffset.UtcNow;
        var plan = new ExecutionPlan("wide", "v1", false, null,
            [.. Enumerable.Range(0, nodes).Select(n => new PlanNode($"n{n}", "fit@v1", """{"container":{"image":"local"}}""", new Dictionary<string, string>(), []))],
            new Dictionary<string, string>());
        var workflow = new List<DomainEvent>
        {
            Stamp(new ExecutionAccepted(id, Project, Domain, plan, "{}", "h", null, false, null, null, null, null, new Dictionary<string, string>()), at, "alice@example.com", id),
            Stamp(new ExecutionStarted(), at, "alice@example.com", id),
        };
        foreach (var n in Enumerable.Range(0, nodes))
        {
            workflow.Add(Stamp(new NodeReady($"n{n}", "{}"), at, "alice@example.com", id));
            workflow.Add(Stamp(new NodeSucceeded($"n{n}", """{"y":2}""", false, null), at, "alice@example.com", id));
        }

        await store.AppendAsync(new StreamAddress(s_tenant, $"execution/{id}"), 0, EventHashChain.Genesis, workflow);
        await Task.WhenAll(Enumerable.Range(0, nodes).Select(n =>
            store.AppendAsync(new StreamAddress(s_tenant, $"execution/{id}/n{n}"), 0, EventHashChain.Genesis, TaskEvents(id, $"n{n}", at, "alice@example.com"))));
        return id;
    }

    private static List<DomainEvent> TaskEvents(string id, string node, DateTimeOffset at, string who) =>
    [
        Stamp(new TaskQueued(id, node, Project, Domain, "fit@v1", """{"container":{"image":"local"}}""", """{"x":1}""", null, false), at, who, id),
        Stamp(new AttemptLaunched(1, $"{id}-{node}-1"), at, who, id),
        Stamp(new AttemptRunning(1, at), at, who, id),
        Stamp(new AttemptSucceeded(1, """{"y":2}"""), at, who, id),
    ];

    private static DomainEvent Stamp(DomainEvent e, DateTimeOffset at, string who, string correlation) =>
        e with { Meta = new EventMetadata(at, who, correlation, null) };

    private static async Task<long> Scalar(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static double Percentile(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
    }
}
