using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Orleans.Hosting;
using Orleans.Messaging;

namespace Orleans.Flyte.Grains.Clustering;

public static class ClusteringRegistration
{
    /// <summary>Cluster membership in the platform's PostgreSQL (several silos, one database).</summary>
    public static ISiloBuilder UsePostgresClustering(this ISiloBuilder silo, string connectionString)
    {
        AddSchema(silo.Services, connectionString);
        silo.Services.AddSingleton<PostgresMembershipTable>();
        silo.Services.AddSingleton<IMembershipTable>(sp => sp.GetRequiredService<PostgresMembershipTable>());
        return silo;
    }

    /// <summary>External clients find the silos' gateways through the same membership table.</summary>
    public static IClientBuilder UsePostgresClustering(this IClientBuilder client, string connectionString)
    {
        AddSchema(client.Services, connectionString);
        client.Services.AddSingleton<PostgresMembershipTable>();
        client.Services.AddSingleton<IGatewayListProvider, PostgresGatewayListProvider>();
        return client;
    }

    /// <summary>Durable reminders in PostgreSQL: they outlive every silo.</summary>
    public static ISiloBuilder UsePostgresReminders(this ISiloBuilder silo, string connectionString)
    {
        AddSchema(silo.Services, connectionString);
        silo.AddReminders();
        silo.Services.AddSingleton<IReminderTable, PostgresReminderTable>();
        return silo;
    }

    private static void AddSchema(IServiceCollection services, string connectionString)
    {
        services.TryAddSingleton(_ => new PostgresSchema(NpgsqlDataSource.Create(connectionString)));
    }
}
