using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Flyte.Grains.Clustering;
using Orleans.Flyte.Grains.Hosting;
using Orleans.Flyte.Grains.Runners.Local;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Clustering;

/// <summary>
/// A real silo in its own host: TCP endpoints on free loopback ports, PostgreSQL membership and reminders with fast
/// failure detection, the event store and engine. Several of them on one database form one cluster; disposing one
/// without stopping it is a crash.
/// </summary>
internal static class PostgresSilo
{
    public static async Task<IHost> StartAsync(string connectionString, string clusterId, string workRoot, Action<IServiceCollection>? configureServices = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddTestHostFilters();
        builder.Services.AddOrleansFlyteEventStore(connectionString);
        builder.Services.AddOrleansFlyteEngine();
        builder.Services.Configure<LocalProcessRunnerOptions>(o => o.WorkRoot = workRoot);
        configureServices?.Invoke(builder.Services);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = clusterId;
            });
            silo.ConfigureEndpoints(System.Net.IPAddress.Loopback, TestPorts.Free(), TestPorts.Free());
            silo.UsePostgresClustering(connectionString);
            silo.UsePostgresReminders(connectionString);
            silo.AddOrleansFlyteGrains();
            silo.Configure<ClusterMembershipOptions>(PostgresClusteringTests.FastFailureDetection);
            PostgresClusteringTests.FastReminders(silo);
        });
        StopHostOnFatalError.Register(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
