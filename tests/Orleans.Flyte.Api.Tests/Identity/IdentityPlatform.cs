using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests.Identity;

/// <summary>
/// A platform that trusts a <see cref="TestIdentityProvider"/> (JWTs validated for real, keys fetched over HTTP), with the
/// bootstrap cluster-admin token as <see cref="Admin"/>, and helpers to make API tokens and role bindings through the API.
/// </summary>
public sealed class IdentityPlatform : IAsyncLifetime
{
    public TestIdentityProvider Provider { get; private set; } = null!;

    public TestDatabase Database { get; private set; } = null!;

    public FlyteApiFactory Factory { get; private set; } = null!;

    /// <summary>Acts as the bootstrap cluster-admin.</summary>
    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Provider = await TestIdentityProvider.StartAsync();
        Database = await TestDatabase.CreateAsync("identity");
        Factory = new FlyteApiFactory(Database.ConnectionString, Provider.Settings());
        Admin = Factory.CreateClient();
        (await Admin.GetAsync(new Uri("/readyz", UriKind.Relative))).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Factory.DisposeAsync();
        await Database.DisposeAsync();
        await Provider.DisposeAsync();
    }

    /// <summary>A client that sends <paramref name="bearer"/> (none when null).</summary>
    public HttpClient As(string? bearer)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = bearer is null ? null : new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    public async Task CreateProject(string name) =>
        (await Admin.PostAsJsonAsync(new Uri("/api/v1/projects", UriKind.Relative), new { name })).EnsureSuccessStatusCode();

    /// <summary>Binds <paramref name="role"/> on the cluster (no project), a project, or a project/domain.</summary>
    public async Task Grant(string principal, string role, string? project = null, string? domain = null, string? reason = null)
    {
        var response = await Admin.PostAsJsonAsync(new Uri(BindingsPath(project, domain), UriKind.Relative), new { principal, role, reason });
        response.StatusCode.Should().BeOneOf([HttpStatusCode.Created, HttpStatusCode.OK], await response.Content.ReadAsStringAsync());
    }

    /// <summary>A new platform API token: its text and its id.</summary>
    public async Task<(string Token, string Id)> CreateToken(string name, int? expiresInDays = null)
    {
        var response = await Admin.PostAsJsonAsync(new Uri("/api/v1/tokens", UriKind.Relative), new { name, expiresInDays });
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return (body["token"]!.GetValue<string>(), body["id"]!.GetValue<string>());
    }

    public async Task Revoke(string tokenId) =>
        (await Admin.DeleteAsync(new Uri($"/api/v1/tokens/{tokenId}", UriKind.Relative))).EnsureSuccessStatusCode();

    public static string BindingsPath(string? project, string? domain) =>
        project is null ? "/api/v1/role-bindings"
        : domain is null ? $"/api/v1/projects/{project}/role-bindings"
        : $"/api/v1/projects/{project}/domains/{domain}/role-bindings";
}
