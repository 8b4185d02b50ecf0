using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Orleans.Flyte.Api.Auth;

/// <summary>On <c>/readyz</c>: Degraded (still 200) with a warning while authentication is off, so nobody mistakes a
/// throwaway run for a protected one.</summary>
public sealed class AuthenticationModeCheck(IOptions<AuthOptions> options) : IHealthCheck
{
    public const string OffWarning = "Authentication is OFF (Flyte:Auth:Enabled=false): anyone who can reach the port acts with every permission. Use it for throwaway local runs only.";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(options.Value.Enabled
            ? HealthCheckResult.Healthy(options.Value.Oidc.Enabled ? "bearer tokens: OIDC and platform API tokens" : "bearer tokens: platform API tokens")
            : HealthCheckResult.Degraded(OffWarning));
}
