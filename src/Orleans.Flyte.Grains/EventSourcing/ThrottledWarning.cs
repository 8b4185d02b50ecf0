using Microsoft.Extensions.Logging;

namespace Orleans.Flyte.Grains.EventSourcing;

/// <summary>
/// One warning per interval for a failure that repeats (PostgreSQL down: every grain retries every few seconds), with
/// how many were folded into it, so an outage costs a few log lines instead of one per try.
/// </summary>
public sealed class ThrottledWarning(ILogger log, TimeProvider clock, TimeSpan interval)
{
    private readonly Lock _gate = new();
    private DateTimeOffset _last = DateTimeOffset.MinValue;
    private long _suppressed;

    /// <returns>True when this call wrote the warning.</returns>
    public bool Warn(Exception? exception, string message)
    {
        long folded;
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            if (now - _last < interval)
            {
                _suppressed++;
                return false;
            }

            _last = now;
            folded = _suppressed;
            _suppressed = 0;
        }

        // The exception's message, not its stack: the stack is the same every time and is what fills a disk.
        log.LogWarning("{Message} ({Error}: {Detail}); {Folded} more like it since the last warning, next one in at most {Interval}",
            message, exception?.GetType().Name, exception?.GetBaseException().Message, folded, interval);
        return true;
    }
}
