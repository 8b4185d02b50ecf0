using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests.Identity;

/// <summary>How the platform is told whom to trust and how strict to be: OIDC keys from a JWKS URL, the limit on failed
/// authentications, a token for /metrics, and authentication turned off for a throwaway run.</summary>
public sealed class AuthenticationSettingsTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("auth-settings");

    public Task DisposeAsync() => _database.DisposeAsync().AsTask();

    [Fact]
    public async Task JWTs_are_checked_against_keys_fetched_from_the_configured_JWKS_url_for_signature_issuer_audience_and_lifetime()
    {
        await using var idp = await TestIdentityProvider.StartAsync();
        await using var platform = new FlyteApiFactory(_database.ConnectionString, idp.Settings(jwksOnly: true));
        using var admin = platform.CreateClient();
        (await admin.PostAsJsonAsync(new Uri("/api/v1/role-bindings", UriKind.Relative), new { principal = "alice", role = "auditor" })).EnsureSuccessStatusCode();

        (await Get(platform, idp.Token("alice"))).StatusCode.Should().Be(HttpStatusCode.OK);
        idp.KeyRequests.Should().BeGreaterThan(0, "the keys come from the JWKS endpoint over HTTP");

        await Refused(platform, idp.Token("alice", expires: DateTimeOffset.UtcNow.AddMinutes(-1)), "The token expired at ");
        await Refused(platform, idp.Token("alice", audience: "someone-else"), "The token was issued for another audience.");
        await Refused(platform, idp.Token("token:bootstrap-admin"), "The token's subject uses a prefix reserved for platform principals.");
        using var forger = System.Security.Cryptography.RSA.Create(2048);
        await Refused(platform, idp.Token("alice", signingKey: forger), "The token's signature does not verify.");
    }

    [Fact]
    public async Task Failed_authentications_from_one_client_are_limited_and_a_valid_token_still_works()
    {
        await using var platform = new FlyteApiFactory(_database.ConnectionString, new Dictionary<string, string> { ["Flyte:Auth:FailedAuthenticationsPerMinute"] = "3" });
        using var admin = platform.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await Get(platform, "oft_0123456789abcdef_" + new string('x', 43))).StatusCode);
        }

        statuses.Should().Equal(HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests);
        var limited = await Get(platform, "oft_0123456789abcdef_" + new string('x', 43));
        limited.Headers.RetryAfter.Should().NotBeNull();
        (await limited.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>().Should().Contain("Too many failed authentications");
        (await admin.GetAsync(new Uri("/api/v1/projects", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.OK, "only failures count");
    }

    [Fact]
    public async Task Metrics_can_require_a_token()
    {
        await using var platform = new FlyteApiFactory(_database.ConnectionString, new Dictionary<string, string> { ["Flyte:Auth:MetricsRequireToken"] = "true" });
        using var admin = platform.CreateClient();
        using var anonymous = platform.CreateClient();
        anonymous.DefaultRequestHeaders.Authorization = null;

        (await anonymous.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await admin.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await anonymous.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task With_authentication_turned_off_anyone_acts_as_anonymous_and_readyz_says_so()
    {
        await using var platform = new FlyteApiFactory(_database.ConnectionString, new Dictionary<string, string> { ["Flyte:Auth:Enabled"] = "false" });
        using var anonymous = platform.CreateClient();
        anonymous.DefaultRequestHeaders.Authorization = null;

        var created = await anonymous.PostAsJsonAsync(new Uri("/api/v1/projects", UriKind.Relative), new { name = "scratch" });

        created.StatusCode.Should().Be(HttpStatusCode.Created);
        (await created.Content.ReadFromJsonAsync<JsonObject>())!["createdBy"]!.GetValue<string>().Should().Be("anonymous");
        var ready = await anonymous.GetAsync(new Uri("/readyz", UriKind.Relative));
        ready.StatusCode.Should().Be(HttpStatusCode.OK);
        (await ready.Content.ReadAsStringAsync()).Should().Contain("Degraded").And.Contain("Authentication is OFF");
    }

    [Fact]
    public async Task The_OpenAPI_document_declares_the_bearer_scheme_for_its_operations()
    {
        await using var platform = new FlyteApiFactory(_database.ConnectionString);
        using var anonymous = platform.CreateClient();
        anonymous.DefaultRequestHeaders.Authorization = null;

        var document = (await anonymous.GetFromJsonAsync<JsonObject>(new Uri("/openapi/v1.json", UriKind.Relative)))!;

        document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>().Should().Be("bearer");
        document["security"]!.AsArray().Should().ContainSingle().Which!.AsObject().ContainsKey("bearer").Should().BeTrue();
        var createExecution = document["paths"]!["/api/v1/projects/{project}/domains/{domain}/executions"]!["post"]!["responses"]!.AsObject();
        createExecution.Select(r => r.Key).Should().Contain(["401", "403"]);
        document["paths"]!["/api/v1/projects"]!["get"]!["responses"]!.AsObject().Select(r => r.Key).Should().Contain("401").And.NotContain("403", "any signed-in caller may list; the list is filtered");
    }

    private static async Task<HttpResponseMessage> Get(FlyteApiFactory platform, string bearer)
    {
        using var client = platform.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", bearer);
        return await client.GetAsync(new Uri("/api/v1/projects", UriKind.Relative));
    }

    private static async Task Refused(FlyteApiFactory platform, string bearer, string detail)
    {
        var response = await Get(platform, bearer);
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, detail);
        response.Headers.WwwAuthenticate.ToString().Should().StartWith("Bearer realm=\"orleans-flyte\", error=\"invalid_token\"");
        (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>().Should().StartWith(detail);
    }
}
