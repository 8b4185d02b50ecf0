using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests;

/// <summary>One database and one running platform per test class; talks to it over HTTP only.</summary>
public abstract class ApiTestBase : IAsyncLifetime
{
    protected TestDatabase Database { get; private set; } = null!;

    protected FlyteApiFactory Factory { get; private set; } = null!;

    protected HttpClient Http { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync("api");
        await StartPlatform();
    }

    public virtual async Task DisposeAsync()
    {
        await StopPlatform();
        await Database.DisposeAsync();
    }

    /// <summary>Configuration the platform of this test class starts with (on top of the silo's appsettings).</summary>
    protected virtual IReadOnlyDictionary<string, string>? Settings => null;

    /// <summary>Services replaced in the platform of this test class (e.g. <see cref="TestClock.DriveSchedules"/>).</summary>
    protected virtual Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? TestServices => null;

    protected async Task StartPlatform()
    {
        Factory = new FlyteApiFactory(Database.ConnectionString, Settings, TestServices);
        Http = Factory.CreateClient();
        (await Http.GetAsync(new Uri("/readyz", UriKind.Relative))).EnsureSuccessStatusCode();
    }

    protected async Task StopPlatform()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
    }

    protected async Task RestartPlatform()
    {
        await StopPlatform();
        await StartPlatform();
    }

    protected Task<HttpResponseMessage> CreateProject(string name) =>
        Http.PostAsJsonAsync(new Uri("/api/v1/projects", UriKind.Relative), new { name });

    protected Task<HttpResponseMessage> Post(string path, string body, string mediaType = "application/yaml") =>
        Http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(mediaType)));

    protected Task<HttpResponseMessage> Get(string path) => Http.GetAsync(new Uri(path, UriKind.Relative));

    protected static async Task<JsonObject> Json(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())!;

    /// <summary>How many events the store holds in all: "nothing persisted" is checked against this.</summary>
    protected async Task<long> StoredEventCount()
    {
        await using var connection = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select count(*) from flyte.mt_events", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
