using System.Collections.Concurrent;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Bench;

/// <summary>Benchmark-only runner: every attempt succeeds at once with empty outputs, so the figure is the engine's own cost.</summary>
internal sealed class InstantRunner : ITaskRunner
{
    private readonly ConcurrentDictionary<string, AttemptStatus> _done = new(StringComparer.Ordinal);

    public Task<AttemptStatus> LaunchAsync(AttemptLaunch launch, CancellationToken cancellationToken = default)
    {
        var status = _done.GetOrAdd(launch.AttemptId, id => new AttemptStatus(id, AttemptPhase.Succeeded, 0, "{}", StartedAt: DateTimeOffset.UtcNow, FinishedAt: DateTimeOffset.UtcNow));
        return Task.FromResult(status);
    }

    public Task<AttemptStatus> GetStatusAsync(string attemptId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_done.TryGetValue(attemptId, out var s) ? s : new AttemptStatus(attemptId, AttemptPhase.Unknown));

    public Task TerminateAsync(string attemptId, string reason, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<AttemptLogs?> GetLogsAsync(string attemptId, CancellationToken cancellationToken = default) => Task.FromResult<AttemptLogs?>(null);
}
