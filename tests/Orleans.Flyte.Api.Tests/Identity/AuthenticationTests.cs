using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests.Identity;

/// <summary>Platform API tokens from creation to revocation, and the 401s a caller gets: what they say, and that no
/// token ever reaches a log.</summary>
public sealed class ApiTokenTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    // Properties, not fields: disposed in DisposeAsync.
    private CapturedLogs Logs { get; } = new();

    private FlyteApiFactory Factory { get; set; } = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("tokens");
        Factory = new FlyteApiFactory(_database.ConnectionString, new Dictionary<string, string>
        {
            ["Flyte:Auth:LastUsedResolution"] = "00:00:00",
            ["Logging:LogLevel:Orleans.Flyte"] = "Debug",
            ["Logging:LogLevel:Microsoft.AspNetCore.Authentication"] = "Debug",
        }, services => services.AddSingleton<ILoggerProvider>(Logs));
        _admin = Factory.CreateClient();
        (await _admin.PostAsJsonAsync(new Uri("/api/v1/projects", UriKind.Relative), new { name = "payments" })).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await Factory.DisposeAsync();
        await _database.DisposeAsync();
        Logs.Dispose();
    }

    [Fact]
    public async Task A_token_is_shown_once_stored_as_a_hash_used_with_its_roles_and_refused_once_revoked()
    {
        var created = await _admin.PostAsJsonAsync(new Uri("/api/v1/tokens", UriKind.Relative), new { name = "ci-deploy", owner = "platform-team", expiresInDays = 30 });
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var body = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        var token = body["token"]!.GetValue<string>();
        var id = body["id"]!.GetValue<string>();
        token.Should().MatchRegex("^oft_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$", "256 random bits after the id");
        body["principal"]!.GetValue<string>().Should().Be("token:ci-deploy");

        using var ci = Factory.CreateClient();
        ci.DefaultRequestHeaders.Authorization = new("Bearer", token);
        (await ci.GetAsync(new Uri("/api/v1/projects/payments/domains/staging/executions", UriKind.Relative))).StatusCode
            .Should().Be(HttpStatusCode.Forbidden, "a token has no roles until one is bound to it");
        (await _admin.PostAsJsonAsync(new Uri("/api/v1/projects/payments/domains/staging/role-bindings", UriKind.Relative),
            new { principal = "token:ci-deploy", role = "submitter", reason = "deploys from CI" })).StatusCode.Should().Be(HttpStatusCode.Created);
        (await ci.GetAsync(new Uri("/api/v1/projects/payments/domains/staging/executions", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.OK);

        var listed = await _admin.GetStringAsync(new Uri("/api/v1/tokens", UriKind.Relative));
        listed.Should().Contain("ci-deploy").And.Contain("lastUsedAt").And.NotContain(token[21..], "the secret is shown once").And.NotContain("secretHash");
        var stored = string.Join(' ', (await StoredEvents("tokens/cluster")).Select(e => e.Data.ToJsonString()));
        stored.Should().Contain(Sha256Hex(token[21..]), "only the secret's SHA-256 is stored").And.NotContain(token[21..]);

        (await _admin.DeleteAsync(new Uri($"/api/v1/tokens/{id}", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.OK);
        var refused = await ci.GetAsync(new Uri("/api/v1/projects/payments/domains/staging/executions", UriKind.Relative));
        refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        refused.Headers.WwwAuthenticate.ToString().Should().Contain("error=\"invalid_token\"").And.Contain("revoked");
        (await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>().Should().Be("The token was revoked.");

        var again = await _admin.PostAsJsonAsync(new Uri("/api/v1/tokens", UriKind.Relative), new { name = "ci-deploy" });
        again.StatusCode.Should().Be(HttpStatusCode.Conflict, "a new token must not inherit the revoked one's role bindings");
        var secret = token[21..];
        Logs.Messages.Should().NotBeEmpty().And.NotContain(m => m.Contains(secret, StringComparison.Ordinal), "tokens never reach a log");
    }

    [Fact]
    public async Task Without_a_token_the_401_says_a_bearer_token_is_required_and_an_expired_token_says_when_it_expired()
    {
        using var anonymous = Factory.CreateClient();
        anonymous.DefaultRequestHeaders.Authorization = null;

        var missing = await anonymous.GetAsync(new Uri("/api/v1/projects", UriKind.Relative));

        missing.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        missing.Headers.WwwAuthenticate.ToString().Should().Be("Bearer realm=\"orleans-flyte\"");
        missing.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await missing.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>().Should().Be("A bearer token is required.");

        var garbage = await Send("Bearer not-a-token");
        garbage.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await garbage.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>().Should().Be("The token is not valid.");
    }

    [Fact]
    public async Task Role_changes_are_events_that_say_who_granted_what_to_whom_and_why()
    {
        (await _admin.PostAsJsonAsync(new Uri("/api/v1/projects/payments/role-bindings", UriKind.Relative),
            new { principal = "group:risk-analysts", role = "viewer", reason = "quarterly review" })).StatusCode.Should().Be(HttpStatusCode.Created);
        (await _admin.DeleteAsync(new Uri("/api/v1/projects/payments/role-bindings?principal=group:risk-analysts&role=viewer&reason=review%20over", UriKind.Relative)))
            .StatusCode.Should().Be(HttpStatusCode.NoContent);

        var events = (await StoredEvents("access/cluster")).Select(e => new
        {
            type = e.Type,
            principal = e.Data["principal"]?.GetValue<string>(),
            role = e.Data["role"]?.GetValue<string>(),
            project = e.Data["project"]?.GetValue<string>(),
            by = e.Data["meta"]!["principal"]!.GetValue<string>(),
            reason = e.Data["meta"]!["reason"]?.GetValue<string>(),
        }).ToList();
        events.Should().ContainEquivalentOf(new
        {
            type = "role_granted",
            principal = "group:risk-analysts",
            role = "viewer",
            project = "payments",
            by = "token:bootstrap-admin",
            reason = "quarterly review",
        });
        events.Should().ContainEquivalentOf(new
        {
            type = "role_revoked",
            principal = "group:risk-analysts",
            role = "viewer",
            project = "payments",
            by = "token:bootstrap-admin",
            reason = "review over",
        });
    }

    [Fact]
    public async Task Cluster_roles_are_bound_on_the_cluster_only()
    {
        var response = await _admin.PostAsJsonAsync(new Uri("/api/v1/projects/payments/role-bindings", UriKind.Relative), new { principal = "mallory", role = "cluster-admin" });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("/role").And.Contain("applies to the whole cluster");
    }

    private async Task<HttpResponseMessage> Send(string authorization)
    {
        using var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Remove("Authorization");
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        return await client.GetAsync(new Uri("/api/v1/projects", UriKind.Relative));
    }

    /// <summary>The type and body of each stored event of <paramref name="stream"/>, in order.</summary>
    private async Task<List<(string Type, JsonObject Data)>> StoredEvents(string stream)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select type, data::text from flyte.mt_events where stream_id = @s order by seq_id", connection);
        command.Parameters.AddWithValue("s", stream);
        var events = new List<(string, JsonObject)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            events.Add((reader.GetString(0), JsonNode.Parse(reader.GetString(1), new JsonNodeOptions { PropertyNameCaseInsensitive = true })!.AsObject()));
        }

        return events;
    }

    private static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}

/// <summary>Every message every logger writes, at every level.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyCollection<string> Messages => _messages;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._messages.Enqueue(formatter(state, exception) + exception);
    }
}
