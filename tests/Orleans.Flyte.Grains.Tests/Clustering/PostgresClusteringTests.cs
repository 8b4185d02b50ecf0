using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using Orleans.Flyte.Grains.Clustering;
using Orleans.Flyte.Testing;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Tests.Clustering;

public interface IReminderProbeGrain : IGrainWithStringKey
{
    Task Arm();
}

public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Ticks = new();

    public Task Arm() => this.RegisterOrUpdateReminder("probe", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Ticks.AddOrUpdate(this.GetPrimaryKeyString(), 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}

/// <summary>Membership and reminders in our own PostgreSQL tables, with real silos.</summary>
public sealed class PostgresClusteringTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("cluster");

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Two_silos_form_a_cluster_in_postgres_and_the_survivor_declares_a_killed_one_dead()
    {
        var clusterId = "c-" + Guid.NewGuid().ToString("N")[..8];
        using var first = await StartSilo(clusterId);
        var second = await StartSilo(clusterId);
        var management = first.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);

        await Until(async () => (await management.GetHosts(onlyActive: true)).Count == 2, "both silos active");
        (await MembershipRows(clusterId, SiloStatus.Active)).Should().Be(2, "the membership lives in our table");

        // No graceful shutdown: the silo just disappears, as in a crash.
        second.Dispose();

        await Until(async () => await MembershipRows(clusterId, SiloStatus.Dead) == 1, "the killed silo to be declared dead");
        (await management.GetHosts(onlyActive: true)).Should().HaveCount(1);
        await first.Services.GetRequiredService<IGrainFactory>().GetGrain<IReminderProbeGrain>("still-serving").Arm();
        await first.StopAsync();
    }

    private async Task<IHost> StartSilo(string clusterId)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = clusterId;
            });
            silo.ConfigureEndpoints(System.Net.IPAddress.Loopback, FreePort(), FreePort());
            silo.UsePostgresClustering(_database.ConnectionString);
            silo.UsePostgresReminders(_database.ConnectionString);
            silo.Configure<ClusterMembershipOptions>(FastFailureDetection);
            FastReminders(silo);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task A_reminder_fires_again_in_a_new_cluster_after_every_silo_is_gone()
    {
        var key = "probe-" + Guid.NewGuid().ToString("N");
        var serviceId = "svc-" + key;
        var cluster = await FlyteCluster.StartAsync(_database.ConnectionString, configureSilo: FastReminders, serviceId: serviceId);
        await cluster.Grains.GetGrain<IReminderProbeGrain>(key).Arm();
        await cluster.DisposeAsync();
        ReminderProbeGrain.Ticks.TryRemove(key, out _);

        await using var restarted = await FlyteCluster.StartAsync(_database.ConnectionString, configureSilo: FastReminders, serviceId: serviceId);

        await Until(() => Task.FromResult(ReminderProbeGrain.Ticks.GetValueOrDefault(key) > 0), "the reminder to tick in the new cluster without any call");
    }

    internal static void FastFailureDetection(ClusterMembershipOptions o)
    {
        o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
        o.NumMissedProbesLimit = 2;
        o.NumVotesForDeathDeclaration = 1;
        o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
    }

    internal static void FastReminders(Orleans.Hosting.ISiloBuilder silo) =>
        silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));

    private async Task<long> MembershipRows(string clusterId, SiloStatus status)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from orleans.membership where cluster_id = @c and status = @s", connection);
        command.Parameters.AddWithValue("c", clusterId);
        command.Parameters.AddWithValue("s", (int)status);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    internal static async Task Until(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                throw new TimeoutException($"Waited {seconds}s for {what}.");
            }

            await Task.Delay(100);
        }
    }
}
