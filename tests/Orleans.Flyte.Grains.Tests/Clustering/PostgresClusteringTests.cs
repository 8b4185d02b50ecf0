using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Orleans.Configuration;
using Orleans.Flyte.Grains.Clustering;
using Orleans.Flyte.Testing;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Orleans.Flyte.Grains.Tests.Clustering;

/// <summary>
/// Real in-process silos (TCP between them) whose membership and reminders live in our PostgreSQL tables.
/// <see cref="InProcessTestClusterBuilder"/> cannot drop its own membership: its <c>UseTestClusterMembership</c> is
/// internal and always true, and it registers its in-memory <c>IMembershipTable</c> (and a grain directory that asks
/// that table whether silos live) after our configure delegates, so it wins. <see cref="TestClusterBuilder"/> exposes
/// <see cref="TestClusterOptions.UseTestClusterMembership"/>: false there means no development clustering on silos and
/// no static gateway list on the client, so silos and client find each other only through <c>orleans.membership_silos</c>.
/// </summary>
public sealed class PostgresClusteringTests(PostgresDatabaseFixture database, ITestOutputHelper output) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly TimeSpan _deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Two_silos_join_through_postgres_and_the_survivor_declares_a_killed_one_dead_and_keeps_serving()
    {
        var clusterId = "cluster-" + Guid.NewGuid().ToString("N")[..12];
        var cluster = NewCluster(silos: 2, clusterId, serviceId: clusterId);
        try
        {
            var clock = Stopwatch.StartNew();
            await cluster.DeployAsync();
            var management = cluster.Client.GetGrain<IManagementGrain>(0);
            await Until(async () => (await management.GetHosts(onlyActive: true)).Count == 2, "both silos to be Active");
            await Until(() => Task.FromResult(cluster.Silos.All(silo => ActiveIn(cluster, silo).Count == 2)), "each silo's own view to list both as Active");
            output.WriteLine($"2 silos Active after {clock.Elapsed.TotalSeconds:F1}s");
            (await SilosIn(clusterId, SiloStatus.Active)).Should().HaveCount(2, "the membership lives in our table");

            var survivor = cluster.Silos[0];
            var victim = cluster.Silos[1];
            clock.Restart();
            await cluster.KillSiloAsync(victim); // no graceful shutdown: the silo just vanishes, as in a crash

            await Until(async () => (await SilosIn(clusterId, SiloStatus.Dead)).Contains(victim.SiloAddress.ToParsableString()), "the killed silo to be declared Dead in our table");
            var declaredDead = clock.Elapsed;
            await Until(async () => (await management.GetHosts(onlyActive: true)).Count == 1, "the survivor to see one active silo");
            ActiveIn(cluster, survivor).Should().Equal(survivor.SiloAddress);
            var where = await cluster.Client.GetGrain<IClusterProbeGrain>("after-the-kill").WhereAmI();
            output.WriteLine($"killed silo declared Dead after {declaredDead.TotalSeconds:F1}s; survivor served a new grain after {clock.Elapsed.TotalSeconds:F1}s");

            where.Should().Be(survivor.SiloAddress.ToParsableString());
            (await SilosIn(clusterId, SiloStatus.Active)).Should().Equal(survivor.SiloAddress.ToParsableString());
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_reminder_fires_in_a_new_cluster_of_the_same_service_without_any_call()
    {
        var serviceId = "service-" + Guid.NewGuid().ToString("N")[..12];
        var key = "probe-" + serviceId;
        var (firstId, secondId) = (serviceId + "-first", serviceId + "-second");

        var first = NewCluster(silos: 1, firstId, serviceId);
        try
        {
            await first.DeployAsync();
            await first.Client.GetGrain<IReminderProbeGrain>(key).Arm(TimeSpan.FromSeconds(2));
            await Until(() => Task.FromResult(TicksFrom(key, firstId) > 0), "the reminder to tick in the first cluster");
        }
        finally
        {
            await first.StopAllSilosAsync();
            await first.DisposeAsync();
        }

        (await RemindersOf(serviceId)).Should().Be(1, "the reminder outlives every silo in our table");
        var second = NewCluster(silos: 1, secondId, serviceId);
        try
        {
            var clock = Stopwatch.StartNew();
            await second.DeployAsync();

            await Until(() => Task.FromResult(TicksFrom(key, secondId) > 0), "the reminder to tick in the new cluster without any call");
            output.WriteLine($"first tick in the new cluster {clock.Elapsed.TotalSeconds:F1}s after deploy started");
        }
        finally
        {
            await second.StopAllSilosAsync();
            await second.DisposeAsync();
        }
    }

    /// <summary>
    /// Failure detection in seconds rather than minutes (also used by the crash tests): a silo that misses three probes of a
    /// second each is dead. Not faster: on a loaded machine (2 cores, other test classes in parallel) a live silo can miss
    /// two half-second probes, be declared dead by one vote and stop, and the test fails on a silo it never crashed.
    /// </summary>
    internal static void FastFailureDetection(ClusterMembershipOptions o)
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(1);
        o.NumMissedProbesLimit = 3;
        o.NumVotesForDeathDeclaration = 1;
        o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
    }

    internal static void FastReminders(ISiloBuilder silo) =>
        silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));

    private TestCluster NewCluster(short silos, string clusterId, string serviceId)
    {
        var builder = new TestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false; // not ./logs/ in the test output folder, left behind by every run
        builder.Options.ClusterId = clusterId;
        builder.Options.ServiceId = serviceId;
        builder.Options.UseTestClusterMembership = false;
        builder.Properties[PostgresConfigurator.ConnectionStringKey] = database.ConnectionString;
        builder.AddSiloBuilderConfigurator<PostgresConfigurator>();
        builder.AddClientBuilderConfigurator<PostgresConfigurator>();
        return builder.Build();
    }

    /// <summary>Configurators are created by type, so the connection string travels in the cluster's configuration.</summary>
    private sealed class PostgresConfigurator : ISiloConfigurator, IClientBuilderConfigurator
    {
        public const string ConnectionStringKey = "ClusteringTests:Postgres";

        public void Configure(ISiloBuilder siloBuilder)
        {
            var connectionString = Required(siloBuilder.Configuration);
            siloBuilder.UsePostgresClustering(connectionString);
            siloBuilder.UsePostgresReminders(connectionString);
            siloBuilder.Configure<ClusterMembershipOptions>(FastFailureDetection);
            siloBuilder.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(2));
        }

        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder)
        {
            clientBuilder.UsePostgresClustering(Required(configuration));

            // A call racing the kill must fail fast so the polling can retry it.
            clientBuilder.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
        }

        private static string Required(IConfiguration configuration) =>
            configuration[ConnectionStringKey] ?? throw new InvalidOperationException($"{ConnectionStringKey} is not configured.");
    }

    /// <summary>The silo's own membership view, as its oracle last read it from our table.</summary>
    private static List<SiloAddress> ActiveIn(TestCluster cluster, SiloHandle silo) =>
        [.. cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values
            .Where(member => member.Status == SiloStatus.Active)
            .Select(member => member.SiloAddress)];

    private static int TicksFrom(string key, string clusterId) =>
        ReminderProbeGrain.Ticks.TryGetValue(key, out var ticks) ? ticks.Count(c => c == clusterId) : 0;

    private async Task<List<string>> SilosIn(string clusterId, SiloStatus status)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select silo_address from orleans.membership_silos where cluster_id = $1 and status = $2 order by silo_address", connection);
        command.Parameters.AddWithValue(clusterId);
        command.Parameters.AddWithValue((int)status);
        var silos = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            silos.Add(reader.GetString(0));
        }

        return silos;
    }

    private async Task<long> RemindersOf(string serviceId)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from orleans.reminders where service_id = $1", connection);
        command.Parameters.AddWithValue(serviceId);
        return await command.ExecuteScalarAsync() as long? ?? 0;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; a call failing while the cluster reconfigures counts as "not yet".</summary>
    private static Task Until(Func<Task<bool>> condition, string what) =>
        Eventually.Until(condition, what, _deadline, notYet: e => e is OrleansException or TimeoutException or SiloUnavailableException);
}
