using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Orleans.Flyte.Testing;

/// <summary>
/// The suite's one way to wait: poll with a deadline instead of sleeping, and fail saying what was awaited and what was
/// last seen. Every wait in the tests goes through here, so the polling period and the failure message are the same
/// everywhere.
/// </summary>
public static class Eventually
{
    /// <summary>How often a condition is asked again: often enough that a wait ends promptly after what it awaits.</summary>
    public static readonly TimeSpan DefaultPoll = TimeSpan.FromMilliseconds(50);

    /// <param name="notYet">Exceptions that count as "not yet"; see <see cref="Until{T}"/>.</param>
    public static Task Until(Func<Task<bool>> condition, string what, TimeSpan timeout, Func<Exception, bool>? notYet = null) =>
        Until(condition, static holds => holds, what, timeout, describe: null, notYet);

    public static Task Until(Func<bool> condition, string what, TimeSpan timeout) =>
        Until(() => Task.FromResult(condition()), what, timeout);

    /// <summary>
    /// Reads <paramref name="probe"/> until <paramref name="accept"/> holds for what it returned, and returns that.
    /// </summary>
    /// <param name="describe">Says what was last seen, for the timeout's message (nothing when null).</param>
    /// <param name="notYet">Exceptions of the probe that count as "not yet" (a call failing while a cluster reconfigures);
    /// the last of them is the timeout's inner exception. Any other exception fails the wait at once.</param>
    /// <param name="poll">How long to wait between reads (<see cref="DefaultPoll"/> when null), for probes that cost more.</param>
    public static async Task<T> Until<T>(
        Func<Task<T>> probe,
        Func<T, bool> accept,
        string what,
        TimeSpan timeout,
        Func<T, string>? describe = null,
        Func<Exception, bool>? notYet = null,
        TimeSpan? poll = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(accept);
        var clock = Stopwatch.StartNew();
        var seen = false;
        T last = default!;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                seen = true;
                lastError = null;
                if (accept(last))
                {
                    return last;
                }
            }
            catch (Exception e) when (notYet?.Invoke(e) == true)
            {
                lastError = e;
            }

            if (clock.Elapsed > timeout)
            {
                var lastSeen = seen && describe is not null ? $"; last seen: {describe(last)}" : string.Empty;
                throw new TimeoutException($"Waited {timeout} for {what}{lastSeen}.", lastError);
            }

            await Task.Delay(poll ?? DefaultPoll);
        }
    }
}

/// <summary>Free TCP ports on loopback, so test silos running in parallel never collide.</summary>
public static class TestPorts
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
