using System.Collections.Concurrent;
using Npgsql;

namespace Orleans.Flyte.Grains.Clustering;

/// <summary>
/// One <see cref="OrleansDatabase"/> (and so one <see cref="NpgsqlDataSource"/>) per connection string per host,
/// shared by membership, gateways and reminders, and disposed with the host.
/// </summary>
internal sealed class OrleansDatabases : IAsyncDisposable, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<OrleansDatabase>> _databases = new(StringComparer.Ordinal);

    public OrleansDatabase For(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return _databases.GetOrAdd(
            connectionString,
            key => new Lazy<OrleansDatabase>(() => new OrleansDatabase(NpgsqlDataSource.Create(key)))).Value;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var database in Created())
        {
            await database.DisposeAsync();
        }
    }

    // Hosts disposed synchronously (using var host = ...) dispose their singletons synchronously too.
    public void Dispose()
    {
        foreach (var database in Created())
        {
            database.Dispose();
        }
    }

    private List<OrleansDatabase> Created()
    {
        var created = _databases.Values.Where(lazy => lazy.IsValueCreated).Select(lazy => lazy.Value).ToList();
        _databases.Clear();
        return created;
    }
}
