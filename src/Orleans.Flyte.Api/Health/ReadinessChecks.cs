using Marten;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace Orleans.Flyte.Api.Health;

/// <summary>Ready only when PostgreSQL answers: without it no event can be stored.</summary>
public sealed class PostgresReadinessCheck(IDocumentStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var session = store.QuerySession();
            var one = await session.QueryAsync<int>("select 1", cancellationToken);
            return one.Count == 1 ? HealthCheckResult.Healthy("PostgreSQL answers.") : HealthCheckResult.Unhealthy("PostgreSQL gave no answer.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is not reachable: " + ex.Message);
        }
    }
}

/// <summary>Ready only when this silo is an active member of the cluster and can serve grain calls.</summary>
public sealed class SiloReadinessCheck(IClusterClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(true, cancellationToken);
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"{hosts.Count} active silo(s).")
                : HealthCheckResult.Unhealthy("No active silo.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The silo does not answer: " + ex.Message);
        }
    }
}
