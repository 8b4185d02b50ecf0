using System.Collections.Concurrent;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Grains.Tests.Runners;

/// <summary>Collects every pushed transition and lets a test await an attempt's terminal status with a deadline.</summary>
internal sealed class RecordingSink : IAttemptStatusSink
{
    private readonly ConcurrentQueue<AttemptStatus> _received = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<AttemptStatus>> _terminal = new(StringComparer.Ordinal);

    /// <summary>When set, every call records the status and then throws, like a sink whose silo is going away.</summary>
    public bool Fail { get; init; }

    public Task OnAttemptChangedAsync(AttemptStatus status)
    {
        _received.Enqueue(status);
        if (status.IsTerminal)
        {
            Terminal(status.AttemptId).TrySetResult(status);
        }

        return Fail ? Task.FromException(new InvalidOperationException("the sink is broken")) : Task.CompletedTask;
    }

    public IReadOnlyList<AttemptStatus> Of(string attemptId) => [.. _received.Where(s => s.AttemptId == attemptId)];

    public async Task<AttemptStatus> TerminalAsync(string attemptId, TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(30);
        try
        {
            return await Terminal(attemptId).Task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"attempt {attemptId} reached no terminal status within {limit}; pushed so far: {string.Join(", ", Of(attemptId).Select(s => s.Phase))}");
        }
    }

    private TaskCompletionSource<AttemptStatus> Terminal(string attemptId) =>
        _terminal.GetOrAdd(attemptId, _ => new TaskCompletionSource<AttemptStatus>(TaskCreationOptions.RunContinuationsAsynchronously));
}
