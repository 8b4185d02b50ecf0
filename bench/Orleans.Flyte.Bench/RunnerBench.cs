using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Grains.Runners.Local;

namespace Orleans.Flyte.Bench;

/// <summary>
/// The local process runner alone, without the engine or the store: <paramref name="attempts"/> attempts of the bench's
/// task (<c>sh -c 'echo {} &gt; "$FLYTE_OUTPUTS"'</c>), <paramref name="concurrency"/> at once, each launched, awaited,
/// its logs read and released as the task grain does. Prints attempts/s and the CPU per attempt of this process and of
/// the task processes, which on a shared machine says more than the rate.
/// </summary>
internal static class RunnerBench
{
    public static async Task Run(string workRoot, int attempts, int concurrency)
    {
        var sink = new Sink();
        await using var runner = new LocalProcessRunner(
            Options.Create(new LocalProcessRunnerOptions { WorkRoot = workRoot }), sink, TimeProvider.System, NullLogger<LocalProcessRunner>.Instance);

        await Batch(runner, sink, "warmup", 200, concurrency);
        var before = MachineCpu.Read();
        var clock = Stopwatch.StartNew();
        await Batch(runner, sink, "run", attempts, concurrency);
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = MachineCpu.Read() - before;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"local runner alone: {attempts} attempts, {concurrency} at once, work root {workRoot}: {attempts / elapsed:F0} attempts/s, " +
            $"silo CPU {cpu.Self * 1000 / attempts:F2} ms/attempt, task processes {cpu.Children * 1000 / attempts:F2} ms/attempt"));
    }

    private static async Task Batch(LocalProcessRunner runner, Sink sink, string prefix, int count, int concurrency)
    {
        using var slots = new SemaphoreSlim(concurrency);
        var running = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            await slots.WaitAsync();
            var id = string.Create(CultureInfo.InvariantCulture, $"{prefix}.{i}");
            running.Add(Task.Run(async () =>
            {
                try
                {
                    var done = sink.Terminal(id);
                    await runner.LaunchAsync(new AttemptLaunch(id, "bench", "development", id, "n0", 1, "local", ["sh", "-c", "echo {} > \"$FLYTE_OUTPUTS\""], [],
                        new Dictionary<string, string>(), "{}", [], null, null, GpuGrant.None, TimeSpan.FromMinutes(1)));
                    var status = await done;
                    if (status.Phase != AttemptPhase.Succeeded)
                    {
                        throw new InvalidOperationException($"{id}: {status.Phase} {status.Error}");
                    }

                    _ = await runner.GetLogsAsync(id);
                    await runner.ReleaseAsync(id);
                }
                finally
                {
                    slots.Release();
                }
            }));
        }

        await Task.WhenAll(running);
    }

    private sealed class Sink : IAttemptStatusSink
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource<AttemptStatus>> _terminal = new();

        public Task<AttemptStatus> Terminal(string attemptId) => Of(attemptId).Task;

        public Task OnAttemptChangedAsync(AttemptStatus status)
        {
            if (status.IsTerminal)
            {
                Of(status.AttemptId).TrySetResult(status);
            }

            return Task.CompletedTask;
        }

        private TaskCompletionSource<AttemptStatus> Of(string attemptId) =>
            _terminal.GetOrAdd(attemptId, _ => new TaskCompletionSource<AttemptStatus>(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
