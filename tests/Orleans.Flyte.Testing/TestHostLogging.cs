using Microsoft.Extensions.Logging;

namespace Orleans.Flyte.Testing;

/// <summary>
/// What the test hosts keep out of the test output: messages that are expected when tests start and stop silos many
/// times a minute and that read like failures. Filtered by category and level only, so every other warning and error
/// still shows.
/// </summary>
public static class TestHostLogging
{
    public static ILoggingBuilder AddTestHostFilters(this ILoggingBuilder logging)
    {
        // A test host stops while its grains still talk (a runner reporting a finished attempt, a workflow starting its
        // next node). The stopping silo rejects those messages ("silo is shutting down", or "no active nodes are compatible"
        // once it has left its own membership view) and Orleans logs each at Error as "Failed to address message", with a
        // stack trace. That is the only Error of this category; its warnings (deadlocks, failed forwards) stay. A request
        // rejected this way still fails its caller, so a test that needed it fails on its own.
        logging.AddFilter("Orleans.Messaging", level => level >= LogLevel.Warning && level != LogLevel.Error);

        // The same rejected messages first go through Orleans' placement retry, which Polly reports per attempt (a warning
        // and an error each). The outcome reaches the caller either way.
        logging.AddFilter("Polly", LogLevel.Critical);

        // Tests lower ReminderOptions.MinimumReminderPeriod on purpose, to see recovery in seconds rather than minutes.
        logging.AddFilter("Orleans.Hosting.ReminderOptionsValidator", LogLevel.Error);

        // "Application started. Press Ctrl+C to shut down." and friends, for every host a test starts (the silo's
        // appsettings.json, copied next to the tests, sets the default level to Information).
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);

        // Orleans 10.4's watchdog reports the machine's uptime as a stall once per silo start (why: SiloHosting). The
        // platform host filters it itself; hosts built in tests (PostgresSilo) need it here.
        logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
        return logging;
    }
}
