using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Grains.Clustering;
using Orleans.Flyte.Grains.Hosting;
using Orleans.TestingHost;

namespace Orleans.Flyte.Testing;

/// <summary>
/// A real Orleans cluster (in-process silos) whose grains keep their events in a real PostgreSQL database.
/// Restarting means disposing every silo and deploying new ones against the same database.
/// </summary>
public sealed class FlyteCluster : IAsyncDisposable
{
    private readonly InProcessTestCluster _cluster;

    private FlyteCluster(InProcessTestCluster cluster) => _cluster = cluster;

    public IGrainFactory Grains => _cluster.Client;

    public IClusterClient Client => _cluster.Client;

    public InProcessTestCluster Cluster => _cluster;

    /// <summary>Services of the first silo (e.g. the Marten document store, to inspect what was stored).</summary>
    public IServiceProvider SiloServices => _cluster.Silos[0].ServiceProvider;

    public static async Task<FlyteCluster> StartAsync(
        string connectionString,
        int silos = 1,
        Action<IServiceCollection>? configureServices = null,
        Action<Orleans.Hosting.ISiloBuilder>? configureSilo = null,
        string? serviceId = null)
    {
        var builder = new InProcessTestClusterBuilder((short)silos);
        if (serviceId is not null)
        {
            // Reminders belong to a service id: a restarted cluster must keep it to find them.
            builder.Options.ServiceId = serviceId;
        }

        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddOrleansFlyteEventStore(connectionString);
            silo.Services.AddOrleansFlyteEngine();
            silo.AddOrleansFlyteGrains();
            silo.UsePostgresReminders(connectionString);
            configureServices?.Invoke(silo.Services);
            configureSilo?.Invoke(silo);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new FlyteCluster(cluster);
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }
}
