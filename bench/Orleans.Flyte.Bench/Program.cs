using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Bench;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.Clustering;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Grains.Hosting;
using Orleans.Flyte.Grains.Runners.Local;

// Engine throughput: N concurrent executions of an M-node chain of no-op tasks through a real silo and
// PostgreSQL (fsync on). Usage:
//   dotnet run -c Release --project bench/Orleans.Flyte.Bench -- [executions] [nodes] [process|instant|metrics] [rounds]
//   ... -- [total] [rate] submit          submissions offered open-loop at rate/s: accepted/s and latency percentiles
//   ... -- [executions] [nodes] recover   memory per active execution, then time until a fresh silo resumes them all
//   ... -- [stored] 1 catalog             list/get/sweep latency with that many executions stored in the read model
// 'process' runs every task as a real local process (sh -c 'echo {} > $FLYTE_OUTPUTS');
// 'instant' completes attempts in-process, so the figure is the engine and the event store alone.
// 'latency' keeps [executions] in flight for a while, each task taking [4th argument, default 200] ms: ready→launched at a
// steady load rather than a saturated burst (LatencyBench): scripts/bench 100 5 latency 200 20.
// 'metrics' runs the instant workload in alternating rounds with the Prometheus export off and on (MetricsBench).
// 'map' runs one map node of [executions] elements with concurrency [nodes], each sleeping [4th argument, default 1] s
// (issue 17): scripts/bench 1000 50 map 1.
// GPU allocator decisions and the best-fit/first-fit trace need no database: scripts/bench gpu [decisions|trace|all] ...
// Audit replay (verify, export, history pages, as-of) over a seeded domain: scripts/bench audit [events] [asOfNodes].
if (args.Length > 0 && args[0] == "audit")
{
    await AuditBench.RunAsync(args[1..], Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
        ?? throw new InvalidOperationException("Set ConnectionStrings__Postgres (scripts/bench does)."));
    return;
}

if (args.Length > 2 && args[2] == "runner")
{
    // The local process runner alone, no engine or database: scripts/bench [attempts=3000] [at once=64] runner
    var root = Path.Combine(Path.GetTempPath(), $"orleans-flyte-runner-bench-{Guid.NewGuid():N}");
    try
    {
        await RunnerBench.Run(root, int.Parse(args[0], CultureInfo.InvariantCulture), int.Parse(args[1], CultureInfo.InvariantCulture));
    }
    finally
    {
        foreach (var folder in new[] { root, root + ".spare" }.Where(Directory.Exists))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    return;
}

if (args.Length > 0 && args[0] == "gpu")
{
    GpuBench.Run(args[1..]);
    return;
}

ThreadPool.SetMinThreads(Environment.GetEnvironmentVariable("BENCH_MIN_THREADS") is { } t ? int.Parse(t, CultureInfo.InvariantCulture) : 2, 2);
var executions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
var nodes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
var mode = args.Length > 2 ? args[2] : "process";
var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
    ?? throw new InvalidOperationException("Set ConnectionStrings__Postgres (scripts/bench does).");

// A database of its own, so the figures count only this run's events.
var database = "bench_" + Guid.NewGuid().ToString("N")[..8];
await using (var admin = new NpgsqlConnection(connectionString))
{
    await admin.OpenAsync();
    await using var create = new NpgsqlCommand($"create database {database}", admin);
    await create.ExecuteNonQueryAsync();
}

await using var scratch = new BenchScratch(connectionString, database, Path.Combine(Path.GetTempPath(), $"orleans-flyte-bench-{database}"));
var benchConnection = new NpgsqlConnectionStringBuilder(connectionString) { Database = database, MaxPoolSize = 200 }.ConnectionString;
// 'recover' keeps executions active (HoldingRunner), then starts a second silo on the same database and reminders.
var supervisionPeriod = TimeSpan.FromSeconds(10);
IHost Build(ITaskRunner? runner)
{
    // Content root: the bench's own output folder. The default, the working directory, is the repository, and the host
    // watches its content root recursively for configuration changes: PostgreSQL's writes under .data/ then cost this
    // process an inotify event each (4% of its CPU in `600 5 process`). The silo's content root is its project folder.
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error); // reports the machine's uptime at start: see SiloHosting
    builder.Services.AddOrleansFlyteEventStore(benchConnection);
    builder.Services.AddOrleansFlyteEngine();
    // Flyte__Submissions__MaxConcurrent (and the other admission limits) from the environment, for A/B runs of 'submit'.
    builder.Services.Configure<Orleans.Flyte.Grains.Submissions.SubmissionAdmissionOptions>(builder.Configuration.GetSection(Orleans.Flyte.Grains.Submissions.SubmissionAdmissionOptions.Section));
    builder.Services.Configure<LocalProcessRunnerOptions>(o => o.WorkRoot = scratch.WorkRoot);
    if (mode is "instant" or "metrics" or "submit" or "catalog")
    {
        builder.Services.AddSingleton<ITaskRunner, InstantRunner>();
    }

    if (mode == "latency")
    {
        var taskTime = TimeSpan.FromMilliseconds(args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 200);
        builder.Services.AddSingleton(sp => new DelayRunner(sp.GetRequiredService<IAttemptStatusSink>(), taskTime));
        builder.Services.AddSingleton<ITaskRunner>(sp => sp.GetRequiredService<DelayRunner>());
    }

    if (runner is not null)
    {
        builder.Services.AddSingleton(runner);
        builder.Services.Configure<Orleans.Flyte.Grains.Executions.ExecutionEngineOptions>(o => o.ReminderPeriod = supervisionPeriod);
    }

    if (mode == "allocator")
    {
        // The bench's leases belong to no task execution: count them all as alive so reconciliation leaves them be.
        builder.Services.AddSingleton<Orleans.Flyte.Grains.Gpus.IGpuLeaseLiveness, AlwaysLive>();
    }

    builder.UseOrleans(silo =>
    {
        silo.UseLocalhostClustering(serviceId: database, clusterId: database);
        silo.AddOrleansFlyteGrains();
        silo.UsePostgresReminders(benchConnection);
        silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = supervisionPeriod);
    });
    return builder.Build();
}

var holding = mode == "recover" ? new HoldingRunner() : null;
var host = Build(holding);
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();

if (mode == "map")
{
    // scripts/bench [elements=1000] [concurrency=50] map [seconds each element sleeps=1]
    await MapBench.RunAsync(grains, executions, nodes, args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 1, scratch.WorkRoot);
    await host.StopAsync();
    return;
}

// The event store alone: concurrent writers each appending one event per transaction to their own stream.
async Task<double> StoreCeiling(int writers, string run, int per = 200)
{
    var store = host.Services.GetRequiredService<Orleans.Flyte.Grains.EventSourcing.IEventStreamStore>();
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, writers).Select(async w =>
    {
        var stream = new Orleans.Flyte.Domain.EventSourcing.StreamAddress("ceiling/development", $"store/{run}/{writers}/{w}");
        var hash = Orleans.Flyte.Domain.EventSourcing.EventHashChain.Genesis;
        for (var i = 0; i < per; i++)
        {
            var result = await store.AppendAsync(stream, i, hash, [new ExecutionStarted()]);
            hash = result.LastHash;
        }
    }));
    return writers * per / watch.Elapsed.TotalSeconds;
}

if (mode == "store")
{
    foreach (var writers in new[] { 1, 8, 32, 64 })
    {
        Console.WriteLine($"store appends, {writers,2} writers: {await StoreCeiling(writers, "store"),7:F0}/s");
    }

    await host.StopAsync();
    return;
}

if (mode == "allocator")
{
    // The allocator grain itself: request → grant → release round trips through the silo and PostgreSQL.
    var allocator = grains.GetGrain<Orleans.Flyte.Abstractions.Gpus.IGpuAllocatorGrain>(Orleans.Flyte.Abstractions.Gpus.IGpuAllocatorGrain.Key);
    var inventory = GpuBench.Inventory();
    foreach (var node in inventory.Nodes.Values)
    {
        await grains.GetGrain<Orleans.Flyte.Abstractions.Gpus.IGpuNodeGrain>(node.Node).Sync(node.Inventory, schedulable: true, "bench");
    }

    foreach (var clients in new[] { 1, 16, 64 })
    {
        var pairs = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            for (var i = 0; watch.Elapsed < TimeSpan.FromSeconds(10); i++)
            {
                var request = new Orleans.Flyte.Domain.Gpus.GpuLeaseRequest($"{clients}-{c}-{i}", $"team-{c % 5}", "development", $"e{c}", "n", 1,
                    (i % 3) switch { 0 => "mig-1g.5gb", 1 => "mig-3g.20gb", _ => null }, (i % 3) == 2 ? "a100-40gb" : null, 1);
                var status = await allocator.Request(request);
                while (status.State != Orleans.Flyte.Abstractions.Gpus.GpuLeaseState.Granted)
                {
                    await Task.Delay(5);
                    status = await allocator.GetStatus(request.RequestId);
                }

                await allocator.Release(request.RequestId, "done");
                Interlocked.Increment(ref pairs);
            }
        }));
        Console.WriteLine($"allocator grain, {clients,2} clients: {pairs / watch.Elapsed.TotalSeconds,6:F0} request→grant→release round trips/s ({pairs} in {watch.Elapsed.TotalSeconds:F1} s)");
    }

    await host.StopAsync();
    return;
}

var task = TaskSpecReader.Read(SpecDocument.Parse("""
    name: noop
    version: v1
    container: { image: local, command: [sh, -c, 'echo {} > "$FLYTE_OUTPUTS"'] }
    """).Value!).Value!;
var chain = string.Join('\n', Enumerable.Range(0, mode == "submit" ? 1 : nodes).Select(i =>
    $"  - {{ id: n{i}, task: noop@v1{(i == 0 ? string.Empty : $", after: [n{i - 1}]")} }}"));
var workflow = WorkflowSpecReader.Read(SpecDocument.Parse($"name: chain\nversion: v1\nnodes:\n{chain}").Value!).Value!;
var spec = CanonicalJson.Serialize(task.ToJson());
var plan = ExecutionPlanCompiler.Compile(workflow, new Dictionary<string, string> { ["noop@v1"] = "noop@v1" }, _ => spec);

if (mode == "recover")
{
    // Memory per active execution: the heap after N executions are active (their one task launched and held) against before.
    GC.Collect();
    var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
    var watch = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, executions), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (_, _) =>
        await grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("bench", "development", ExecutionIds.New())).Create(SubmissionBench.Command(plan)));
    while (holding!.Seen < executions * nodes)
    {
        await Task.Delay(100);
    }

    Console.WriteLine($"active executions    : {executions} x {nodes} held tasks, all launched in {watch.Elapsed.TotalSeconds:F1} s");
    GC.Collect();
    var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
    Console.WriteLine($"memory per active    : {(heapAfter - heapBefore) / (double)executions / 1024:F1} KiB managed heap per execution ({heapAfter / 1048576.0:F0} MiB heap in all)");

    // The silo goes; a fresh one on the same database finds the executions through its supervisor shards alone.
    await host.StopAsync();
    host.Dispose();
    var second = new HoldingRunner();
    watch.Restart();
    using var replacement = Build(second);
    await replacement.StartAsync();
    var started = watch.Elapsed;
    while (second.Seen < executions * nodes && watch.Elapsed < TimeSpan.FromMinutes(5))
    {
        await Task.Delay(100);
    }

    Console.WriteLine($"recovery             : {second.Seen} of {executions * nodes} held tasks asked again {watch.Elapsed.TotalSeconds:F1} s after the new silo began starting (started in {started.TotalSeconds:F1} s; supervisor period {supervisionPeriod.TotalSeconds:F0} s)");
    await replacement.StopAsync();
    return;
}

// Warm-up: Marten generates and compiles its storage code on first use, and the JIT tiers up; neither is steady state.
// The engine benches then repeat rounds of their own workload until the JIT has little left to compile (SteadyState).
var warmup = new List<string>();
async Task WarmUp(int count)
{
    var round = Enumerable.Range(0, count).Select(_ => ExecutionIds.New()).ToList();
    warmup.AddRange(round);
    await Task.WhenAll(round.Select(id => grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("warmup", "development", id)).Create(
        new CreateExecution("warmup", "development", plan, "{}", null, false, null, null, new Dictionary<string, string>(), null, null))));
    foreach (var id in round)
    {
        while (!(await grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("warmup", "development", id)).Get())!.Phase.IsTerminal())
        {
            await Task.Delay(50);
        }
    }
}

await WarmUp(20);
if (mode is "instant" or "process")
{
    await SteadyState.WarmUp(() => WarmUp(Math.Min(executions, 200)));
}

if (mode == "metrics")
{
    Console.WriteLine($"Orleans.Flyte metrics overhead: {executions} executions x {nodes} nodes per round, instant runner, {Environment.ProcessorCount} cores, PostgreSQL fsync on");
    await MetricsBench.Run(host, grains, plan, benchConnection, executions, args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3);
    await host.StopAsync();
    return;
}

if (mode == "latency")
{
    // scripts/bench [in flight=100] [nodes=5] latency [task ms=200] [seconds=20]
    await LatencyBench.RunAsync(grains, host.Services.GetRequiredService<DelayRunner>(), plan, benchConnection, executions, nodes,
        TimeSpan.FromSeconds(args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 20));
    await host.StopAsync();
    return;
}

long warmupEvents;
await using (var counter = new NpgsqlConnection(benchConnection))
{
    await counter.OpenAsync();
    await using var count = new NpgsqlCommand("select count(*) from flyte.mt_events", counter);
    warmupEvents = (long)(await count.ExecuteScalarAsync())!;
}

var ceilingBefore = mode is "instant" or "process" ? await StoreCeiling(64, "before", 100) : 0;

// Round trips to the database during the workload, by what they were (Npgsql's trace of every command it sent).
using var roundTrips = new RoundTrips();

if (mode == "catalog")
{
    await CatalogBench.Run(host.Services, grains, plan, executions, benchConnection);
    await host.StopAsync();
    return;
}

if (mode == "submit")
{
    // executions = how many are offered, nodes = the offered rate per second (each execution is a one-node chain).
    // The ceiling before the submissions: after them, the executions they started still run and share the store.
    var submitCeiling = await StoreCeiling(64, "submit", 100);
    await SubmissionBench.Offered(host.Services, plan, executions, nodes, submitCeiling);

    // The accepted executions still run: let them end before the silo stops (at most two minutes), so its shutdown does
    // not fail their calls. Not part of the figures above.
    var settle = Stopwatch.StartNew();
    await using (var watch = new NpgsqlConnection(benchConnection))
    {
        await watch.OpenAsync();
        await using var query = new NpgsqlCommand("select count(*) from flyte.mt_doc_executionsummarydocument where data->>'Project' = 'bench' and (data->>'Phase')::int not in (3, 5, 7, 8)", watch);
        while ((long)(await query.ExecuteScalarAsync())! > 0 && settle.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(200);
        }
    }

    Console.WriteLine($"all executions ended : {settle.Elapsed.TotalSeconds:F1} s after the last acceptance");
    await host.StopAsync();
    return;
}

Console.WriteLine($"Orleans.Flyte engine benchmark: {executions} executions x {nodes} nodes, runner={mode}, {Environment.ProcessorCount} cores, PostgreSQL fsync on");
var ids = Enumerable.Range(0, executions).Select(_ => ExecutionIds.New()).ToList();
// CPU the silo's process spends per task: unlike tasks/s, hardly moved by whatever else shares the machine.
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var gcBefore = GcCounters.Read();
var jitBefore = SteadyState.Jit();
var machineBefore = MachineCpu.Read();
using var jitLog = Environment.GetEnvironmentVariable("BENCH_JITLOG") is not null ? new JitLog() : null;
var clock = Stopwatch.StartNew();
// As the API submits: a fresh id, so the grain is told its stream is new (NewStreams).
await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (id, _) =>
    await NewStreams.Call(grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("bench", "development", id)), g => g.Create(
        new CreateExecution("bench", "development", plan, "{}", null, false, null, null, new Dictionary<string, string>(), null, null))));
var accepted = clock.Elapsed;

// Completion is watched through the read model (one query), not by calling every grain, so watching costs the silo nothing.
await using (var watch = new NpgsqlConnection(benchConnection))
{
    await watch.OpenAsync();
    while (true)
    {
        await using var query = new NpgsqlCommand("select count(*) filter (where (data->>'Phase')::int = 3), count(*) filter (where (data->>'Phase')::int in (5, 7, 8)) from flyte.mt_doc_executionsummarydocument where data->>'Project' = 'bench'", watch);
        await using var reader = await query.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (succeeded, failed) = (reader.GetInt64(0), reader.GetInt64(1));
        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} executions did not succeed.");
        }

        if (succeeded == executions)
        {
            break;
        }

        await Task.Delay(50);
    }
}

var elapsed = clock.Elapsed;
var cpuPerTask = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / (executions * nodes);
var gc = GcCounters.Read() - gcBefore;
var jitted = SteadyState.JitSince(jitBefore, executions * nodes, "task");
var machine = MachineCpu.Read() - machineBefore;
jitLog?.Write(Environment.GetEnvironmentVariable("BENCH_JITLOG")!);
roundTrips.Stop();

// Attempt directories go once their result is recorded (issue 18): what the work root holds at the end against the retention.
if (mode == "process")
{
    var retained = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LocalProcessRunnerOptions>>().Value.RetainAttemptDirectories;
    int Left() => Directory.Exists(scratch.WorkRoot) ? Directory.GetDirectories(scratch.WorkRoot).Length : 0;
    var settle = Stopwatch.StartNew();
    while (Left() > retained && settle.Elapsed < TimeSpan.FromSeconds(30))
    {
        await Task.Delay(100);
    }

    Console.WriteLine($"attempt directories left in the work root: {Left()} (RetainAttemptDirectories {retained}; {(executions + warmup.Count) * nodes} attempts ran)");
}

// The store's own ceiling in the same run and process, after the workload: the figures above are also given against it.
var ceilingAfter = await StoreCeiling(64, "after", 100);
var ceiling = (ceilingBefore + ceilingAfter) / 2;
await host.StopAsync();

// Latency "node ready" → "attempt launched", and event counts, from the stored events themselves.
await using var connection = new NpgsqlConnection(benchConnection);
await connection.OpenAsync();
long events;
await using (var count = new NpgsqlCommand("select count(*) from flyte.mt_events where tenant_id <> 'ceiling/development'", connection))
{
    events = (long)(await count.ExecuteScalarAsync())! - warmupEvents;
}

var stored = await StoredLaunches.ReadAsync(benchConnection);
var latencies = StoredLaunches.Gaps(stored.Ready, stored.Launched);
double Percentile(double p) => SubmissionBench.Percentile(latencies, p);
var tasks = executions * nodes;
Console.WriteLine($"submissions accepted: {executions} in {accepted.TotalSeconds:F2} s ({executions / accepted.TotalSeconds:F0}/s)");
Console.WriteLine($"all succeeded in     : {elapsed.TotalSeconds:F2} s");
Console.WriteLine($"tasks/s              : {tasks / elapsed.TotalSeconds:F1}");
Console.WriteLine($"events/s             : {events / elapsed.TotalSeconds:F1} ({events} events; {events / (double)tasks:F2} per task)");
Console.WriteLine($"round trips/task     : {roundTrips.Report(tasks)}");
Console.WriteLine($"silo CPU/task        : {cpuPerTask:F2} ms (the bench process: engine, runner and Npgsql; {Environment.ProcessorCount} cores)");
Console.WriteLine($"machine CPU/task     : {machine.Busy * 1000 / (executions * nodes):F2} ms of {Environment.ProcessorCount} cores busy {machine.Busy / machine.Total:P0} of the time: this process {machine.Self * 1000 / (executions * nodes):F2}, its task processes {machine.Children * 1000 / (executions * nodes):F2}, everything else (PostgreSQL, kernel) {(machine.Busy - machine.Self - machine.Children) * 1000 / (executions * nodes):F2}; stolen by the host {machine.Steal / machine.Total:P1}");
Console.WriteLine($"GC meanwhile         : {gc.Describe(executions * nodes, "task", elapsed)}");
Console.WriteLine($"JIT meanwhile        : {jitted}; after a warm-up of {warmup.Count} executions{(SteadyState.Skipped ? " (BENCH_WARMUP=0: a cold start)" : ", until the JIT had little left to compile")}");
Console.WriteLine($"store ceiling        : {ceiling:F0} appends/s (64 writers, one event each; {ceilingBefore:F0} before the workload, {ceilingAfter:F0} after): events/s = {events / elapsed.TotalSeconds / ceiling:F2} of it");
Console.WriteLine($"ready->launched ms   : p50 {Percentile(0.50):F1}, p99 {Percentile(0.99):F1} (n={latencies.Length})");
