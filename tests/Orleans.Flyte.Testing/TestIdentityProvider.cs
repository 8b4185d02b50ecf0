using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Orleans.Flyte.Testing;

/// <summary>
/// A stand-in for the organisation's OIDC provider: an RSA key made for the test, its discovery document and JWKS served
/// over real HTTP on a free port, and JWTs signed with it. The platform validates them exactly as it would Keycloak's.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string Audience = "orleans-flyte";
    private const string KeyId = "test-key-1";

    private static readonly string[] s_algorithms = ["RS256"];

    private readonly RSA _key = RSA.Create(2048);
    private WebApplication? _app;
    private int _keyRequests;

    public string Issuer { get; private set; } = string.Empty;

    public string JwksUrl => Issuer + "/keys";

    /// <summary>How often the platform fetched the signing keys.</summary>
    public int KeyRequests => Volatile.Read(ref _keyRequests);

    /// <summary>The platform settings that trust this provider through its discovery document (or its JWKS URL only).</summary>
    public IReadOnlyDictionary<string, string> Settings(bool jwksOnly = false) => jwksOnly
        ? new Dictionary<string, string>
        {
            ["Flyte:Auth:Oidc:JwksUrl"] = JwksUrl,
            ["Flyte:Auth:Oidc:Issuer"] = Issuer,
            ["Flyte:Auth:Oidc:Audience"] = Audience,
            ["Flyte:Auth:Oidc:RequireHttpsMetadata"] = "false",
            ["Flyte:Auth:Oidc:ClockSkew"] = "00:00:05",
        }
        : new Dictionary<string, string>
        {
            ["Flyte:Auth:Oidc:Authority"] = Issuer,
            ["Flyte:Auth:Oidc:Audience"] = Audience,
            ["Flyte:Auth:Oidc:RequireHttpsMetadata"] = "false",
            ["Flyte:Auth:Oidc:ClockSkew"] = "00:00:05",
        };

    public static async Task<TestIdentityProvider> StartAsync()
    {
        var provider = new TestIdentityProvider();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = provider.Issuer,
            ["jwks_uri"] = provider.JwksUrl,
            ["id_token_signing_alg_values_supported"] = s_algorithms,
        }));
        app.MapGet("/keys", () =>
        {
            Interlocked.Increment(ref provider._keyRequests);
            var key = provider._key.ExportParameters(includePrivateParameters: false);
            return Results.Json(new
            {
                keys = new[]
                {
                    new { kty = "RSA", use = "sig", alg = "RS256", kid = KeyId, n = Base64UrlEncoder.Encode(key.Modulus), e = Base64UrlEncoder.Encode(key.Exponent) },
                },
            });
        });
        await app.StartAsync();
        provider._app = app;
        provider.Issuer = app.Urls.First().TrimEnd('/');
        return provider;
    }

    /// <summary>A JWT for <paramref name="subject"/>, valid for ten minutes unless <paramref name="expires"/> says otherwise.</summary>
    /// <param name="signingKey">Another key than the provider's, for forged tokens.</param>
    public string Token(string subject, IEnumerable<string>? groups = null, string? audience = null, DateTimeOffset? expires = null, RSA? signingKey = null)
    {
        var until = (expires ?? DateTimeOffset.UtcNow.AddMinutes(10)).UtcDateTime;
        var claims = new Dictionary<string, object> { ["sub"] = subject };
        if (groups is not null)
        {
            claims["groups"] = groups.ToArray();
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience ?? Audience,
            IssuedAt = until.AddHours(-1),
            NotBefore = until.AddHours(-1),
            Expires = until,
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signingKey ?? _key) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _key.Dispose();
    }
}
