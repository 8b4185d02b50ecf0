namespace Orleans.Flyte.Grains.Identity;

/// <summary>The engine's part of <c>Flyte:Auth</c>.</summary>
public sealed class IdentityOptions
{
    public const string Section = "Flyte:Auth";

    /// <summary>
    /// Where a bootstrap cluster-admin token is written (mode 0600) when the file does not exist yet: the first start of
    /// an installation (<c>scripts/run</c> sets <c>.data/admin-token</c>). Unset: no bootstrap token (Kubernetes uses OIDC).
    /// </summary>
    public string? BootstrapTokenFile { get; set; }

    /// <summary>How precisely a token's last use is recorded (default 5 minutes): at most one event per token per period.</summary>
    public TimeSpan LastUsedResolution { get; set; } = TimeSpan.FromMinutes(5);
}
