using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Orleans.Flyte.Testing;

/// <summary>Poll-with-deadline instead of sleeps: the failure says what was awaited.</summary>
public static class Eventually
{
    public static async Task Until(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout} for {what}.");
            }

            await Task.Delay(50);
        }
    }

    public static Task Until(Func<bool> condition, string what, TimeSpan timeout) =>
        Until(() => Task.FromResult(condition()), what, timeout);
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
