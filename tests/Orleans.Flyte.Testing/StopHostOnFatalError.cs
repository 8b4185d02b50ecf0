using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Orleans.Flyte.Testing;

/// <summary>
/// What a test silo does on a fatal error, above all on reading that the other silos declared it dead: stop its own host
/// and let the test process go on. Orleans' default handler calls <c>Environment.FailFast</c>, which takes every test in the
/// process down with it; TestingHost's clusters already replace it the same way, this is for the silos tests host
/// themselves (<c>PostgresSilo</c>, <see cref="FlyteApiFactory"/>). A silo that a test "crashed" by disposing its host
/// without stopping it may still read the membership table, find itself dead and end up here; so may a live silo that a
/// loaded machine starved of its probes. Either way the test then fails on what it checks, not by losing the process.
/// </summary>
public sealed class StopHostOnFatalError(IServiceProvider services, ILogger<StopHostOnFatalError> log) : IFatalErrorHandler
{
    private int _stopping;

    /// <summary>Replaces the silo's fatal error handler; call after the silo's own services are added.</summary>
    public static void Register(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<IFatalErrorHandler, StopHostOnFatalError>());

    public bool IsUnexpected(Exception exception) => exception is not ThreadAbortException;

    public void OnFatalException(object? sender = null, string? context = null, Exception? exception = null)
    {
        log.LogError(exception, "Fatal error from {Sender}: {Context}. This test silo stops; the test process goes on.", sender, context);
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }

        IHost host;
        try
        {
            host = services.GetRequiredService<IHost>();
        }
        catch (ObjectDisposedException)
        {
            return; // disposed already (a crashed silo): nothing is left to stop
        }

        // Not on the caller's thread: it is the silo's membership loop, which stopping the host waits for.
        _ = Task.Run(async () =>
        {
            try
            {
                await host.StopAsync();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                log.LogError(e, "Stopping the test silo after a fatal error failed.");
            }
        });
    }
}
