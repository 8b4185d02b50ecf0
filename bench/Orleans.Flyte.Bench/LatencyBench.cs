using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Npgsql;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Bench;

/// <summary>
/// The engine's own latency at a steady load: <c>inFlight</c> executions of the chain are kept running at once (each lane
/// submits its next execution as soon as its previous one's last task has ended), every task taking <c>taskMs</c> in a
/// <see cref="DelayRunner"/> that reports its end through the status sink as a real runner does. Unlike the instant bench,
/// which submits everything at once and so measures a saturated machine's queue, this is "N executions in flight".
/// Printed from the stored events: node ready → attempt launched (recorded), and → the runner asked to start it.
/// </summary>
internal static class LatencyBench
{
    public static async Task RunAsync(IGrainFactory grains, DelayRunner runner, ExecutionPlan plan, string connection, int inFlight, int nodes, TimeSpan duration)
    {
        // Each group commit's duration and size, as the engine's own metrics record them.
        var commits = new ConcurrentQueue<double>();
        var batches = new ConcurrentQueue<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Orleans.Flyte.Abstractions.PlatformMeter.Name
                && instrument.Name is "flyte_event_store_append_duration_seconds" or "flyte_event_store_append_batch_size")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
            (instrument.Name == "flyte_event_store_append_batch_size" ? batches : commits).Enqueue(value));
        listener.Start();

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var executions = 0;
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async lane =>
        {
            // Lanes start spread over one task's duration, so the load is steady rather than in waves.
            await Task.Delay(TimeSpan.FromMilliseconds(runner.TaskTime.TotalMilliseconds * lane / inFlight));
            while (clock.Elapsed < duration)
            {
                var id = ExecutionIds.New();
                var ended = runner.WhenLastNodeEnds(id, $"n{nodes - 1}");
                await NewStreams.Call(grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("bench", "development", id)), g => g.Create(
                    new CreateExecution("bench", "development", plan, "{}", null, false, null, null, new Dictionary<string, string>(), null, null)));
                await ended;
                Interlocked.Increment(ref executions);
            }
        }));
        var elapsed = clock.Elapsed;
        listener.Dispose();
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;

        var stored = await StoredLaunches.ReadAsync(connection);
        static double P(double[] sorted, double p) => SubmissionBench.Percentile(sorted, p);
        var toLaunched = StoredLaunches.Gaps(stored.Ready, stored.Launched);
        var toRunner = StoredLaunches.Gaps(stored.Ready, stored.Running);
        var toTransaction = StoredLaunches.Gaps(stored.Ready, stored.ReadyWritten);
        var tasks = executions * nodes;
        Console.WriteLine($"Orleans.Flyte latency at a steady load: {inFlight} executions in flight, {nodes}-node chains, each task {runner.TaskTime.TotalMilliseconds:F0} ms, {duration.TotalSeconds:F0} s, {Environment.ProcessorCount} cores, PostgreSQL fsync on");
        Console.WriteLine($"executions ended     : {executions} ({tasks} tasks, {tasks / elapsed.TotalSeconds:F0} tasks/s; silo CPU {cpu / tasks:F2} ms/task, {cpu / elapsed.TotalMilliseconds / Environment.ProcessorCount:P0} of the cores)");
        Console.WriteLine($"ready->launched ms   : p50 {P(toLaunched, 0.50):F1}, p99 {P(toLaunched, 0.99):F1}, max {(toLaunched.Length > 0 ? toLaunched[^1] : double.NaN):F1} (n={toLaunched.Length}; node ready → first attempt recorded as launched)");
        Console.WriteLine($"  of which queued    : p50 {P(toTransaction, 0.50):F1}, p99 {P(toTransaction, 0.99):F1} (node ready → the workflow's transaction that stores it began)");
        double[] commitMs = [.. commits.Select(c => c * 1000).Order()];
        double[] batchSizes = [.. batches.Order()];
        Console.WriteLine($"group commits        : {commitMs.Length / elapsed.TotalSeconds:F0}/s, transaction ms p50 {P(commitMs, 0.50):F1}, p99 {P(commitMs, 0.99):F1}; appends per commit p50 {P(batchSizes, 0.50):F0}, p99 {P(batchSizes, 0.99):F0}");
        Console.WriteLine($"ready->runner ms     : p50 {P(toRunner, 0.50):F1}, p99 {P(toRunner, 0.99):F1}, max {(toRunner.Length > 0 ? toRunner[^1] : double.NaN):F1} (n={toRunner.Length}; node ready → the runner asked to start it)");
    }
}

/// <summary>
/// From the bench's stored events: when each node was made ready (its workflow's event, and when the transaction that
/// stored it began), when its first attempt was recorded as launched, and when the runner was asked to start it (the start
/// the runner reported, recorded as running). Nodes are keyed by their task stream.
/// </summary>
internal sealed record StoredLaunches(
    Dictionary<string, DateTimeOffset> Ready,
    Dictionary<string, DateTimeOffset> ReadyWritten,
    Dictionary<string, DateTimeOffset> Launched,
    Dictionary<string, DateTimeOffset> Running)
{
    public static async Task<StoredLaunches> ReadAsync(string connection)
    {
        var stored = new StoredLaunches(new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal));
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var query = new NpgsqlCommand("""
            select stream_id, type, coalesce(data->>'StartedAt', data->'Meta'->>'At'), coalesce(data->>'NodeId', ''), timestamp from flyte.mt_events
            where type in ('node_ready', 'attempt_launched', 'attempt_running') and tenant_id = 'bench/development'
            """, db);
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var at = DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture);
            _ = reader.GetString(1) switch
            {
                "node_ready" => stored.Ready.TryAdd($"{reader.GetString(0)}/{reader.GetString(3)}", at)
                    && stored.ReadyWritten.TryAdd($"{reader.GetString(0)}/{reader.GetString(3)}", reader.GetFieldValue<DateTimeOffset>(4)),
                "attempt_launched" => stored.Launched.TryAdd(reader.GetString(0), at),
                _ => stored.Running.TryAdd(reader.GetString(0), at),
            };
        }

        return stored;
    }

    /// <summary>Milliseconds from each node's time in <paramref name="from"/> to its time in <paramref name="to"/>, sorted.</summary>
    public static double[] Gaps(Dictionary<string, DateTimeOffset> from, Dictionary<string, DateTimeOffset> to) =>
        [.. from.Where(r => to.ContainsKey(r.Key)).Select(r => (to[r.Key] - r.Value).TotalMilliseconds).Order()];
}

/// <summary>
/// Bench-only runner: every attempt runs for <see cref="TaskTime"/>, then succeeds with empty outputs, its end pushed
/// through the status sink like a real runner's. Idempotent per attempt id, as the engine requires.
/// </summary>
internal sealed class DelayRunner(IAttemptStatusSink sink, TimeSpan taskTime) : ITaskRunner
{
    private readonly ConcurrentDictionary<string, AttemptStatus> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _lastNodes = new(StringComparer.Ordinal);

    public TimeSpan TaskTime => taskTime;

    /// <summary>Completes once the attempt of <paramref name="lastNode"/> in execution <paramref name="executionId"/> has ended.</summary>
    public Task WhenLastNodeEnds(string executionId, string lastNode) =>
        _lastNodes.GetOrAdd($"{executionId}/{lastNode}", _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public Task<AttemptStatus> LaunchAsync(AttemptLaunch launch, CancellationToken cancellationToken = default)
    {
        var started = DateTimeOffset.UtcNow;
        var running = new AttemptStatus(launch.AttemptId, AttemptPhase.Running, StartedAt: started);
        if (_attempts.TryAdd(launch.AttemptId, running))
        {
            _ = EndAsync(launch, started);
        }

        return Task.FromResult(_attempts[launch.AttemptId]);
    }

    public Task<AttemptStatus> GetStatusAsync(string attemptId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_attempts.TryGetValue(attemptId, out var s) ? s : new AttemptStatus(attemptId, AttemptPhase.Unknown));

    public Task TerminateAsync(string attemptId, string reason, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<AttemptLogs?> GetLogsAsync(string attemptId, CancellationToken cancellationToken = default) => Task.FromResult<AttemptLogs?>(null);

    private async Task EndAsync(AttemptLaunch launch, DateTimeOffset started)
    {
        await Task.Delay(taskTime);
        var done = new AttemptStatus(launch.AttemptId, AttemptPhase.Succeeded, 0, "{}", StartedAt: started, FinishedAt: DateTimeOffset.UtcNow);
        _attempts[launch.AttemptId] = done;
        await sink.OnAttemptChangedAsync(done);
        if (_lastNodes.TryRemove($"{launch.ExecutionId}/{launch.NodeId}", out var lane))
        {
            lane.TrySetResult();
        }
    }
}
