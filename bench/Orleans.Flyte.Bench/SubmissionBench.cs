using System.Collections.Concurrent;
using System.Diagnostics;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Bench;

/// <summary>Submission latency at an offered rate, and supervision figures (memory per active execution, recovery).</summary>
internal static class SubmissionBench
{
    /// <summary>
    /// Open loop: <paramref name="total"/> submissions offered at <paramref name="rate"/> per second whatever the answers,
    /// each timed from its call until the grain answers (the acceptance is durable then). Reports the rate achieved and
    /// the latency percentiles.
    /// </summary>
    public static async Task Offered(IGrainFactory grains, ExecutionPlan plan, int total, int rate)
    {
        var latencies = new double[total];
        var clock = Stopwatch.StartNew();
        var calls = new List<Task>(total);
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
                var started = clock.Elapsed;
                await grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("bench", "development", ExecutionIds.New())).Create(Command(plan));
                latencies[index] = (clock.Elapsed - started).TotalMilliseconds;
            }));
        }

        await Task.WhenAll(calls);
        var elapsed = clock.Elapsed;
        Array.Sort(latencies);
        Console.WriteLine($"submissions offered  : {total} at {rate}/s");
        Console.WriteLine($"submissions accepted : {total} in {elapsed.TotalSeconds:F2} s ({total / elapsed.TotalSeconds:F0}/s)");
        Console.WriteLine($"accept latency ms    : p50 {Percentile(latencies, 0.50):F1}, p99 {Percentile(latencies, 0.99):F1}, max {latencies[^1]:F1}");
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
