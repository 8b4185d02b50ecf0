using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Grains.Clustering;
using Orleans.Flyte.Grains.Hosting;
using Orleans.Flyte.Grains.Runners.Local;
using Orleans.TestingHost;

namespace Orleans.Flyte.Testing;

/// <summary>
/// A real Orleans cluster (in-process silos) whose grains keep their events in a real PostgreSQL database.
/// Restarting means disposing every silo and deploying new ones against the same database.
/// </summary>
/// <remarks>
/// The silos log nowhere: TestingHost's default writes a file per silo and client into <c>./logs/</c> of the test
/// output folder, which nobody read and every run left behind. To watch a silo while debugging a test, pass
/// <c>configureServices: s =&gt; s.AddLogging(l =&gt; l.AddConsole())</c>.
/// </remarks>
public sealed class FlyteCluster : IAsyncDisposable
{
    private readonly InProcessTestCluster _cluster;
    private readonly string _workRoot;

    private FlyteCluster(InProcessTestCluster cluster, string workRoot)
    {
        _cluster = cluster;
        _workRoot = workRoot;
    }

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
        builder.Options.ConfigureFileLogging = false;
        if (serviceId is not null)
        {
            // Reminders belong to a service id: a restarted cluster must keep it to find them.
            builder.Options.ServiceId = serviceId;
        }

        // Not the runner's default under /tmp/orleans-flyte, which a local platform uses; a test's own setting still wins.
        var workRoot = ScratchDirectories.Create("cluster");
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddOrleansFlyteEventStore(connectionString);
            silo.Services.AddOrleansFlyteEngine();
            silo.Services.Configure<LocalProcessRunnerOptions>(o => o.WorkRoot = workRoot);
            silo.Services.Configure<Orleans.Flyte.Abstractions.Artifacts.ArtifactStoreOptions>(o => o.Root = workRoot + "-artifacts");
            silo.AddOrleansFlyteGrains();
            silo.UsePostgresReminders(connectionString);
            configureServices?.Invoke(silo.Services);
            configureSilo?.Invoke(silo);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new FlyteCluster(cluster, workRoot);
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        ScratchDirectories.Delete(_workRoot);
        ScratchDirectories.Delete(_workRoot + "-artifacts");
    }
}
