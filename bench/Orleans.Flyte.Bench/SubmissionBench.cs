using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Abstractions.Submissions;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Bench;

/// <summary>Submission latency at an offered rate, and supervision figures (memory per active execution, recovery).</summary>
internal static class SubmissionBench
{
    /// <summary>
    /// Open loop: <paramref name="total"/> submissions offered at <paramref name="rate"/> per second whatever the answers,
    /// each through <see cref="IExecutionSubmissions"/> as the API makes it after authenticating and parsing the request
    /// (the registered workflow resolved and compiled, its inputs checked, then the execution created), and timed from
    /// its call until it is answered, when the acceptance is durable. Reports the rate achieved and the latency percentiles.
    /// The offered load comes from one caller (a sweep); meanwhile a second caller submits one run every 200 ms, and its
    /// latency says what the burst costs everyone else (submissions are admitted per caller, round-robin).
    /// </summary>
    public static async Task Offered(IServiceProvider services, ExecutionPlan plan, int total, int rate, double ceiling)
    {
        var grains = services.GetRequiredService<IGrainFactory>();
        var submissions = services.GetRequiredService<IExecutionSubmissions>();
        await Register(grains, plan);
        var source = new SubmissionSource.FromWorkflow($"{plan.WorkflowName}@{plan.WorkflowVersion}", null);
        var warmed = 0;
        var rounds = await SteadyState.WarmUp(() => Parallel.ForEachAsync(Enumerable.Range(0, Math.Min(total, 1000)), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (_, _) =>
        {
            CallContext.Set("bench-warmup", null);
            await submissions.SubmitAsync(new SubmitExecution("bench", "development", source), CancellationToken.None);
            Interlocked.Increment(ref warmed);
        }));
        Console.WriteLine($"warm-up              : {warmed} submissions in {rounds} rounds, until the JIT had little left to compile");
        var jitBefore = SteadyState.Jit();
        var latencies = new double[total];
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var machineBefore = MachineCpu.Read();
        var gcBefore = GcCounters.Read();
        var clock = Stopwatch.StartNew();
        var calls = new List<Task>(total);
        using var burstOver = new CancellationTokenSource();
        var other = OtherCaller(submissions, source, clock, burstOver.Token);
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            var index = i;
            calls.Add(Task.Run(async () =>
            {
                CallContext.Set("bench-sweep", null);
                var started = clock.Elapsed;
                var result = await submissions.SubmitAsync(new SubmitExecution("bench", "development", source));
                latencies[index] = (clock.Elapsed - started).TotalMilliseconds;
                if (result is not SubmissionResult.Accepted { Created: true })
                {
                    throw new InvalidOperationException($"A submission was not accepted: {result}");
                }
            }));
        }

        await Task.WhenAll(calls);
        var elapsed = clock.Elapsed;
        await burstOver.CancelAsync();
        var others = await other;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
        var machine = MachineCpu.Read() - machineBefore;
        var gc = GcCounters.Read() - gcBefore;
        Array.Sort(latencies);
        Console.WriteLine($"submissions offered  : {total} at {rate}/s, through IExecutionSubmissions (resolve, compile, check, create)");
        Console.WriteLine($"submissions accepted : {total} in {elapsed.TotalSeconds:F2} s ({total / elapsed.TotalSeconds:F0}/s)");
        Console.WriteLine($"accept latency ms    : p50 {Percentile(latencies, 0.50):F1}, p99 {Percentile(latencies, 0.99):F1}, max {latencies[^1]:F1}");
        Console.WriteLine($"another caller       : {others.Length} submissions during the burst, one every 200 ms: latency ms p50 {Percentile(others, 0.50):F1}, p99 {Percentile(others, 0.99):F1}, max {(others.Length > 0 ? others[^1] : double.NaN):F1}");
        Console.WriteLine($"silo CPU/submission  : {cpu / total:F2} ms until the last answer (the bench process, {Environment.ProcessorCount} cores: acceptance and whatever the accepted executions did meanwhile)");
        Console.WriteLine($"machine CPU/submission: {machine.Busy * 1000 / total:F2} ms of {Environment.ProcessorCount} cores busy {machine.Busy / machine.Total:P0} of the time: this process {machine.Self * 1000 / total:F2}, everything else (PostgreSQL, kernel) {(machine.Busy - machine.Self) * 1000 / total:F2}; stolen by the host {machine.Steal / machine.Total:P1}");
        Console.WriteLine($"GC meanwhile         : {gc.Describe(total, "submission", elapsed)}");
        Console.WriteLine($"JIT meanwhile        : {SteadyState.JitSince(jitBefore, total, "submission")}");
        Console.WriteLine($"store ceiling        : {ceiling:F0} appends/s (64 writers, one event each, same run, before the submissions): accepted/s = {total / elapsed.TotalSeconds / ceiling:F2} of it");
    }

    /// <summary>A second principal submitting one run every 200 ms until the burst is answered: its latencies, sorted.</summary>
    private static async Task<double[]> OtherCaller(IExecutionSubmissions submissions, SubmissionSource source, Stopwatch clock, CancellationToken burstOver)
    {
        await Task.Yield();
        CallContext.Set("bench-other", null);
        var latencies = new List<double>();
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await tick.WaitForNextTickAsync(burstOver))
            {
                var started = clock.Elapsed;
                var result = await submissions.SubmitAsync(new SubmitExecution("bench", "development", source), CancellationToken.None);
                latencies.Add((clock.Elapsed - started).TotalMilliseconds);
                if (result is not SubmissionResult.Accepted { Created: true })
                {
                    throw new InvalidOperationException($"A submission was not accepted: {result}");
                }
            }
        }
        catch (OperationCanceledException) when (burstOver.IsCancellationRequested)
        {
        }

        return [.. latencies.Order()];
    }

    /// <summary>Registers the plan's one task and its workflow, as the API does once it has validated them.</summary>
    private static async Task Register(IGrainFactory grains, ExecutionPlan plan)
    {
        var node = plan.Nodes.Single();
        var task = StoredSpec.Task(node.TaskSpec);
        await grains.GetGrain<ITaskDefinitionGrain>(DefinitionKey.Of("bench", "development", task.Name))
            .Register(new RegisterDefinition(task.Version, node.TaskSpec, CanonicalJson.Sha256(node.TaskSpec), new Dictionary<string, string>()));
        var spec = WorkflowSpecReader.Read(SpecDocument.Parse(
            $"name: {plan.WorkflowName}\nversion: {plan.WorkflowVersion}\nnodes:\n  - {{ id: {node.Id}, task: {node.Task} }}").Value!).Value!;
        var workflow = CanonicalJson.Serialize(spec.ToJson());
        var registered = await grains.GetGrain<IWorkflowDefinitionGrain>(DefinitionKey.Of("bench", "development", plan.WorkflowName))
            .Register(new RegisterDefinition(plan.WorkflowVersion, workflow, CanonicalJson.Sha256(workflow), new Dictionary<string, string> { [node.Task] = node.Task }));
        Console.WriteLine($"registered           : {node.Task} and {plan.WorkflowName}@{plan.WorkflowVersion} ({registered.Outcome})");
    }

    public static CreateExecution Command(ExecutionPlan plan) =>
        new("bench", "development", plan, "{}", null, false, null, null, new Dictionary<string, string>(), null, null);

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

/// <summary>Benchmark-only runner whose attempts run until terminated: it keeps executions active. It counts the distinct
/// attempts it was asked about, which is how the recovery figure sees every execution come back.</summary>
internal sealed class HoldingRunner : ITaskRunner
{
    private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.Ordinal);

    public int Seen => _seen.Count;

    public Task<AttemptStatus> LaunchAsync(AttemptLaunch launch, CancellationToken cancellationToken = default) => Running(launch.AttemptId);

    public Task<AttemptStatus> GetStatusAsync(string attemptId, CancellationToken cancellationToken = default) => Running(attemptId);

    public Task TerminateAsync(string attemptId, string reason, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<AttemptLogs?> GetLogsAsync(string attemptId, CancellationToken cancellationToken = default) => Task.FromResult<AttemptLogs?>(null);

    private Task<AttemptStatus> Running(string attemptId)
    {
        _seen.TryAdd(attemptId, true);
        return Task.FromResult(new AttemptStatus(attemptId, AttemptPhase.Running, StartedAt: DateTimeOffset.UtcNow));
    }
}

/// <summary>Read costs with a large stored history: listing, get, and a supervisor sweep.</summary>
internal static class CatalogBench
{
    public static async Task Run(IServiceProvider services, IGrainFactory grains, ExecutionPlan plan, int stored, string connectionString)
    {
        // The history: finished executions written straight into the read model (what listing and the sweep read).
        var store = services.GetRequiredService<Marten.IDocumentStore>();
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var watch = Stopwatch.StartNew();
        for (var offset = 0; offset < stored; offset += 10_000)
        {
            var docs = Enumerable.Range(offset, Math.Min(10_000, stored - offset)).Select(i => new Orleans.Flyte.Grains.Executions.ExecutionSummaryDocument
            {
                Id = ExecutionIds.New(),
                Project = "bench",
                Domain = "development",
                Workflow = "chain",
                WorkflowVersion = "v1",
                Phase = i % 10 == 0 ? WorkflowPhase.Failed : WorkflowPhase.Succeeded,
                CreatedAt = start.AddSeconds(i * 20),
                CreatedBy = "bench",
                StartedAt = start.AddSeconds(i * 20),
                FinishedAt = start.AddSeconds(i * 20 + 5),
            }).ToList();
            await store.BulkInsertDocumentsAsync(docs);
        }

        Console.WriteLine($"stored history       : {stored} executions in the read model ({watch.Elapsed.TotalSeconds:F1} s to insert)");

        // A table filled in seconds has no statistics until autovacuum's next round (up to a minute): until then the planner
        // guesses, and the first listings took 250-300 ms. A history that grew over weeks has them; so does this one now.
        // (On a connection of its own: inside a Marten session's transaction, which is rolled back, it would be undone.)
        await using (var connection = new Npgsql.NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var analyze = new Npgsql.NpgsqlCommand("analyze flyte.mt_doc_executionsummarydocument", connection);
            await analyze.ExecuteNonQueryAsync();
        }

        // A few live ones, so get reads real streams.
        var live = Enumerable.Range(0, 50).Select(_ => ExecutionIds.New()).ToList();
        await Task.WhenAll(live.Select(id => grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("bench", "development", id)).Create(SubmissionBench.Command(plan))));

        var catalog = services.GetRequiredService<Orleans.Flyte.Abstractions.Catalogs.IExecutionCatalog>();
        await Time("list first page (50)", 200, _ => catalog.ListAsync(new Orleans.Flyte.Abstractions.Catalogs.ExecutionQuery("bench", "development", 50)));
        await Time("list by phase (50)  ", 200, _ => catalog.ListAsync(new Orleans.Flyte.Abstractions.Catalogs.ExecutionQuery("bench", "development", 50, Phase: WorkflowPhase.Failed)));
        await Time("list a deep page    ", 200, i => catalog.ListAsync(new Orleans.Flyte.Abstractions.Catalogs.ExecutionQuery("bench", "development", 50,
            After: new Orleans.Flyte.Abstractions.Catalogs.ExecutionCursor(start.AddSeconds((stored / 2 + i) * 20), "z"))));
        await Time("get (grain)         ", 200, i => grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("bench", "development", live[i % live.Count])).Get());
        await Time("supervisor sweep, all 8 shards", 20, _ => Task.WhenAll(Enumerable.Range(0, IExecutionSupervisorGrain.Shards)
            .Select(s => grains.GetGrain<IExecutionSupervisorGrain>(s).Sweep())));
    }

    private static async Task Time(string what, int times, Func<int, Task> call)
    {
        // The first calls compile the query (Marten, the JIT) and plan it on a table just filled: not what a reader sees after.
        for (var i = 0; i < 5; i++)
        {
            await call(i);
        }

        var latencies = new double[times];
        for (var i = 0; i < times; i++)
        {
            var watch = Stopwatch.StartNew();
            await call(i);
            latencies[i] = watch.Elapsed.TotalMilliseconds;
        }

        Array.Sort(latencies);
        Console.WriteLine($"{what} ms: p50 {SubmissionBench.Percentile(latencies, 0.5):F1}, p99 {SubmissionBench.Percentile(latencies, 0.99):F1} (n={times})");
    }
}
