using Marten;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Orleans.Flyte.Grains.EventSourcing;

/// <summary>Ready only when PostgreSQL answers: without it no event can be stored. Registered with the event store,
/// tagged <see cref="Abstractions.HealthTags.Ready"/>, so the API serves it without knowing Marten.</summary>
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
