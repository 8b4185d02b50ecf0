using Orleans.Configuration;
using Orleans.Flyte.Grains.Clustering;
using Orleans.Flyte.Grains.Hosting;
using Orleans.Flyte.Kubernetes;

namespace Orleans.Flyte.Silo;

/// <summary>The composition root: one process runs an Orleans silo and the HTTP API beside it.</summary>
public static class SiloHosting
{
    public static WebApplicationBuilder AddOrleansFlyteSilo(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Postgres is not set. Start the platform with ./scripts/run (it starts a local PostgreSQL and sets it), " +
                "or set the environment variable ConnectionStrings__Postgres.");
        }

        var orleans = builder.Configuration.GetSection("Orleans").Get<OrleansHostingOptions>() ?? new OrleansHostingOptions();
        QuietWatchdogStartWarning(builder);
        builder.Services.AddOrleansFlyteEventStore(connectionString);
        builder.Services.AddOrleansFlyteEngine(builder.Configuration);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = orleans.ClusterId;
                o.ServiceId = orleans.ServiceId;
            });
            if (string.Equals(orleans.Clustering, "Postgres", StringComparison.OrdinalIgnoreCase))
            {
                // Several silos on one PostgreSQL: each advertises its own address and ports.
                silo.ConfigureEndpoints(orleans.AdvertisedAddress ?? "127.0.0.1", orleans.SiloPort, orleans.GatewayPort, listenOnAnyHostAddress: orleans.AdvertisedAddress is not null);
                silo.UsePostgresClustering(connectionString);
            }
            else if (string.Equals(orleans.Clustering, "Localhost", StringComparison.OrdinalIgnoreCase))
            {
                silo.UseLocalhostClustering(orleans.SiloPort, orleans.GatewayPort, serviceId: orleans.ServiceId, clusterId: orleans.ClusterId);
            }
            else
            {
                throw new InvalidOperationException($"Orleans:Clustering is '{orleans.Clustering}'; use Localhost (one silo, the embedded default) or Postgres (several silos).");
            }

            silo.AddOrleansFlyteGrains();
            silo.UsePostgresReminders(connectionString);
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = orleans.MinimumReminderPeriod);
        });

        // Flyte:Runner / Flyte:Gpus:Inventory = kubernetes: pods instead of local processes, nodes as the GPU inventory.
        builder.Services.AddOrleansFlyteKubernetes(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// Orleans 10.4's silo watchdog (Orleans.Runtime.Watchdog.Start) starts its platform thread before it stamps when the
    /// component check began, so the thread's first look measures from timestamp 0 and warns "Participant check thread has
    /// not completed for" the machine's uptime (00:44:03 on a machine up 44 minutes), once per silo start. Nothing stalled.
    /// Hiding the category's warnings costs little: a real pause also stalls the thread pool, and unhealthy components are
    /// sampled again, both logged by Orleans.Runtime.MembershipService.LocalSiloHealthMonitor; stalls still count in the
    /// silo's health score. Setting Logging:LogLevel:Orleans.Runtime.Watchdog brings the warnings back.
    /// </summary>
    private static void QuietWatchdogStartWarning(WebApplicationBuilder builder)
    {
        if (builder.Configuration["Logging:LogLevel:Orleans.Runtime.Watchdog"] is null)
        {
            builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
        }
    }
}

/// <summary>Bound from the <c>Orleans</c> configuration section.</summary>
public sealed class OrleansHostingOptions
{
    public string ClusterId { get; set; } = "orleans-flyte";

    public string ServiceId { get; set; } = "orleans-flyte";

    /// <summary><c>Localhost</c> (one silo; the embedded default) or <c>Postgres</c> (membership in the platform's database).</summary>
    public string Clustering { get; set; } = "Localhost";

    /// <summary>With Postgres clustering: the address other silos reach this one on (default 127.0.0.1).</summary>
    public string? AdvertisedAddress { get; set; }

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>Orleans refuses reminders with a shorter period; tests lower it to see recovery quickly.</summary>
    public TimeSpan MinimumReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
