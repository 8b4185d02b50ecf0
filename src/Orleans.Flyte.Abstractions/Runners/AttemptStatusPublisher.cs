using Microsoft.Extensions.Logging;

namespace Orleans.Flyte.Abstractions.Runners;

/// <summary>
/// Carries one attempt's statuses to the <see cref="IAttemptStatusSink"/>: in the order they were published, one at a
/// time, never on the publisher's thread, and never backwards (<see cref="AttemptStatus.Precedes"/>). A runner may see an
/// attempt change from several places at once (a process monitor and a launch, a pod watch and a relist); whatever order
/// those race in, the sink never hears Running after the terminal status, nor two different verdicts.
/// </summary>
public sealed class AttemptStatusPublisher(IAttemptStatusSink sink, ILogger log)
{
    private readonly Lock _gate = new();
    private Task _delivered = Task.CompletedTask;
    private AttemptStatus? _last;

    /// <summary>Completes once every status published so far has been handed to the sink (or the sink failed on it).</summary>
    public Task Delivered
    {
        get
        {
            lock (_gate)
            {
                return _delivered;
            }
        }
    }

    /// <summary>Queues <paramref name="status"/> behind every status published before it and returns at once; false, and
    /// nothing is sent, when it would not move the attempt forward from the last one published.</summary>
    public bool Publish(AttemptStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        lock (_gate)
        {
            if (_last is { } last && !last.Precedes(status))
            {
                return false;
            }

            _last = status;
            _delivered = DeliverAfterAsync(_delivered, status);
            return true;
        }
    }

    private async Task DeliverAfterAsync(Task previous, AttemptStatus status)
    {
        // Never on the caller's thread: a slow sink must not hold up a launch, a process monitor or a pod watch.
        await previous.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        try
        {
            await sink.OnAttemptChangedAsync(status);
        }
        catch (Exception ex)
        {
            // The engine also asks the runner on its reminder (and a launch adopts what exists): a lost notification
            // delays the transition, never loses it.
            log.LogWarning(ex, "Attempt {AttemptId}: could not report {Phase}", status.AttemptId, status.Phase);
        }
    }
}
