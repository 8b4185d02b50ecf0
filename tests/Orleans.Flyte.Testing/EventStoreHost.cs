using Microsoft.Extensions.Hosting;
using Orleans.Flyte.Grains.Hosting;

namespace Orleans.Flyte.Testing;

/// <summary>
/// The event store as the silo configures it (Marten, inline read models, catalogs) in a host of its own, on a database
/// of its own: for tests of the store and the read models that need no silo.
/// </summary>
public sealed class EventStoreHost : IAsyncDisposable
{
    private readonly IHost _host;

    private EventStoreHost(TestDatabase database, IHost host)
    {
        Database = database;
        _host = host;
    }

    public TestDatabase Database { get; }

    public IServiceProvider Services => _host.Services;

    /// <param name="name">Begins the database's name, to tell whose it is.</param>
    public static async Task<EventStoreHost> StartAsync(string name)
    {
        var database = await TestDatabase.CreateAsync(name);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["Logging:LogLevel:Default"] = "Warning"; // "Application started" for every test is noise
        builder.Services.AddOrleansFlyteEventStore(database.ConnectionString);
        var host = builder.Build();
        await host.StartAsync();
        return new EventStoreHost(database, host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await Database.DisposeAsync();
    }
}
