using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Clustering;

/// <summary>Where silos (membership) and clients (gateways) find the cluster: a PostgreSQL database.</summary>
public sealed class PostgresClusteringOptions
{
    /// <summary>Npgsql connection string; schema <c>orleans</c> and its tables are created there on first use.</summary>
    public string ConnectionString { get; set; } = string.Empty;
}

/// <summary>Fails the silo or client at start, not at its first membership read, when no database is named.</summary>
internal sealed class PostgresClusteringOptionsValidator(IOptions<PostgresClusteringOptions> options) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        if (string.IsNullOrWhiteSpace(options.Value.ConnectionString))
        {
            throw new OrleansConfigurationException(
                $"{nameof(PostgresClusteringOptions)}.{nameof(PostgresClusteringOptions.ConnectionString)} is empty: Postgres clustering needs a database.");
        }
    }
}
