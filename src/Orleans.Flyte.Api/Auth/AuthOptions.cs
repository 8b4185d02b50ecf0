namespace Orleans.Flyte.Api.Auth;

/// <summary>Who may call the API: <c>Flyte:Auth</c>. Authentication is on unless <see cref="Enabled"/> is set to false.</summary>
public sealed class AuthOptions
{
    public const string Section = "Flyte:Auth";

    /// <summary>False turns authentication and authorization off, for a throwaway local run only: every request acts as
    /// <c>anonymous</c> with every permission, and the silo warns at start and on <c>/readyz</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Whether <c>/metrics</c> needs a token (with read permission on the cluster: auditor or cluster-admin).</summary>
    public bool MetricsRequireToken { get; set; }

    /// <summary>Failed authentications a client (by address) may make per minute before it gets 429 (default 30).</summary>
    public int FailedAuthenticationsPerMinute { get; set; } = 30;

    public OidcOptions Oidc { get; set; } = new();
}

/// <summary>OpenID Connect JWTs from the organisation's identity provider (Keycloak, AD FS): <c>Flyte:Auth:Oidc</c>.
/// Off unless <see cref="Authority"/> or <see cref="JwksUrl"/> is set.</summary>
public sealed class OidcOptions
{
    /// <summary>The issuer's base URL; signing keys come from its <c>/.well-known/openid-configuration</c>.</summary>
    public string? Authority { get; set; }

    /// <summary>Where the signing keys are (a JWKS document), for providers whose metadata is not reachable; needs <see cref="Issuer"/>.</summary>
    public string? JwksUrl { get; set; }

    /// <summary>The expected <c>iss</c>; default: <see cref="Authority"/>.</summary>
    public string? Issuer { get; set; }

    /// <summary>The expected <c>aud</c> (required when OIDC is on).</summary>
    public string? Audience { get; set; }

    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The claim that names the caller on events and in role bindings (default <c>sub</c>; e.g. <c>preferred_username</c>).</summary>
    public string SubjectClaim { get; set; } = "sub";

    /// <summary>The claim that lists the caller's groups, bound as <c>group:NAME</c> (default <c>groups</c>).</summary>
    public string GroupsClaim { get; set; } = "groups";

    /// <summary>Metadata and keys over HTTPS only (default true; tests and a local identity provider may turn it off).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(JwksUrl);
}
