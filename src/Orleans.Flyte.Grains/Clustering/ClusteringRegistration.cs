using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;

namespace Orleans.Flyte.Grains.Clustering;

/// <summary>
/// Orleans clustering and reminders on the platform's PostgreSQL, with tables of our own (schema <c>orleans</c>,
/// created on first use). Within one host, every registration naming the same connection string shares one
/// <see cref="Npgsql.NpgsqlDataSource"/>, disposed with the host.
/// </summary>
public static class ClusteringRegistration
{
    /// <summary>Silo membership in PostgreSQL, keyed by <see cref="ClusterOptions.ClusterId"/>: several silos, one database.</summary>
    public static ISiloBuilder UsePostgresClustering(this ISiloBuilder silo, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return silo.UsePostgresClustering(o => o.ConnectionString = connectionString);
    }

    /// <inheritdoc cref="UsePostgresClustering(ISiloBuilder, string)"/>
    public static ISiloBuilder UsePostgresClustering(this ISiloBuilder silo, Action<PostgresClusteringOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddClusteringOptions(silo.Services, configure);

        // As Orleans' own providers do: the membership service resolves the one IMembershipTable.
        silo.Services.AddSingleton<IMembershipTable, PostgresMembershipTable>();
        return silo;
    }

    /// <summary>External clients find the silos' gateways in the same membership table (same cluster id).</summary>
    public static IClientBuilder UsePostgresClustering(this IClientBuilder client, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return client.UsePostgresClustering(o => o.ConnectionString = connectionString);
    }

    /// <inheritdoc cref="UsePostgresClustering(IClientBuilder, string)"/>
    public static IClientBuilder UsePostgresClustering(this IClientBuilder client, Action<PostgresClusteringOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddClusteringOptions(client.Services, configure);
        client.Services.AddSingleton<IGatewayListProvider, PostgresGatewayListProvider>();
        return client;
    }

    /// <summary>
    /// The reminder service with durable reminders in PostgreSQL, keyed by <see cref="ClusterOptions.ServiceId"/>:
    /// reminders outlive every silo and fire again in any later cluster of the same service.
    /// </summary>
    public static ISiloBuilder UsePostgresReminders(this ISiloBuilder silo, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        silo.Services.TryAddSingleton<OrleansDatabases>();
        silo.AddReminders();
        silo.Services.AddSingleton<IReminderTable>(sp => new PostgresReminderTable(
            sp.GetRequiredService<OrleansDatabases>().For(connectionString),
            sp.GetRequiredService<IOptions<ClusterOptions>>()));
        return silo;
    }

    private static void AddClusteringOptions(IServiceCollection services, Action<PostgresClusteringOptions> configure)
    {
        services.Configure(configure);
        services.TryAddSingleton<OrleansDatabases>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigurationValidator, PostgresClusteringOptionsValidator>());
    }
}
