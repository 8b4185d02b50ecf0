using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Flyte.Silo;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Housekeeping.Tests.Logging;

/// <summary>
/// Noise that reads like failure, removed by category and level only (issue 18): the silo's watchdog start warning in
/// every host, and silo shutdown chatter in test hosts. Everything else at Warning and above still shows.
/// </summary>
public sealed class HostLoggingTests
{
    [Fact]
    public void The_silo_host_hides_the_watchdog_start_warning_and_keeps_the_watchdogs_errors_and_other_Orleans_warnings()
    {
        using var host = SiloHost();
        var logging = host.Services.GetRequiredService<ILoggerFactory>();

        logging.CreateLogger("Orleans.Runtime.Watchdog").IsEnabled(LogLevel.Warning).Should().BeFalse();
        logging.CreateLogger("Orleans.Runtime.Watchdog").IsEnabled(LogLevel.Error).Should().BeTrue();
        logging.CreateLogger("Orleans.Runtime.MembershipService.LocalSiloHealthMonitor").IsEnabled(LogLevel.Warning).Should().BeTrue();
        logging.CreateLogger("Orleans.Runtime.Silo").IsEnabled(LogLevel.Warning).Should().BeTrue();
    }

    [Fact]
    public void Configuration_brings_the_watchdog_warnings_back()
    {
        using var host = SiloHost(("Logging:LogLevel:Orleans.Runtime.Watchdog", "Warning"));

        host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Orleans.Runtime.Watchdog").IsEnabled(LogLevel.Warning).Should().BeTrue();
    }

    [Fact]
    public async Task Test_platforms_drop_shutdown_chatter_but_keep_other_warnings_and_errors()
    {
        await using var database = await TestDatabase.CreateAsync("logging");
        await using var platform = new FlyteApiFactory(database.ConnectionString);
        var logging = platform.Services.GetRequiredService<ILoggerFactory>();

        var messaging = logging.CreateLogger("Orleans.Messaging");
        messaging.IsEnabled(LogLevel.Error).Should().BeFalse("'Failed to address message' of a stopping silo is its only Error");
        messaging.IsEnabled(LogLevel.Warning).Should().BeTrue("deadlocks and failed forwards are still worth seeing");
        logging.CreateLogger("Polly").IsEnabled(LogLevel.Error).Should().BeFalse("placement retries of those same messages");
        logging.CreateLogger("Orleans.Hosting.ReminderOptionsValidator").IsEnabled(LogLevel.Warning).Should().BeFalse("tests shorten reminders on purpose");
        logging.CreateLogger("Orleans.Runtime.Watchdog").IsEnabled(LogLevel.Warning).Should().BeFalse();
        logging.CreateLogger("Microsoft.Hosting.Lifetime").IsEnabled(LogLevel.Information).Should().BeFalse();

        logging.CreateLogger("Orleans.Runtime.Catalog").IsEnabled(LogLevel.Error).Should().BeTrue();
        logging.CreateLogger("Marten.IDocumentStore").IsEnabled(LogLevel.Error).Should().BeTrue();
        logging.CreateLogger("Orleans.Flyte.Grains.Runners.Local.LocalProcessRunner").IsEnabled(LogLevel.Warning).Should().BeTrue();
    }

    /// <summary>The production composition root, built but not started: logging is decided when the host is built.</summary>
    private static WebApplication SiloHost(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=unused";
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }

        builder.AddOrleansFlyteSilo();
        return builder.Build();
    }
}
