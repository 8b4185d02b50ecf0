using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Flyte.Grains.Clustering;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Clustering;

/// <summary>One fresh database per test class; tests keep apart by cluster or service id, as real tenants do.</summary>
public sealed class PostgresDatabaseFixture : IAsyncLifetime, IAsyncDisposable
{
    private readonly OrleansDatabases _databases = new();
    private TestDatabase? _database;

    public string ConnectionString => (_database ?? throw new InvalidOperationException("Not initialised.")).ConnectionString;

    internal OrleansDatabase Orleans => _databases.For(ConnectionString);

    /// <summary>A membership table of a cluster of its own, as a silo of that cluster would build it.</summary>
    internal PostgresMembershipTable MembershipTable(string clusterId) => new(
        _databases,
        Options.Create(new PostgresClusteringOptions { ConnectionString = ConnectionString }),
        Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "membership-tests" }));

    internal PostgresGatewayListProvider GatewayListProvider(string clusterId) => new(
        _databases,
        Options.Create(new PostgresClusteringOptions { ConnectionString = ConnectionString }),
        Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "membership-tests" }),
        Options.Create(new GatewayOptions()));

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("clustering");

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        // Pools first: the database cannot be dropped while our connections are open.
        await _databases.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
