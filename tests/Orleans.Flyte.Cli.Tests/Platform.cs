using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Cli.Tests;

/// <summary>
/// The whole platform (silo + API) on Kestrel on a free port, on a database of its own: the CLI reaches it over
/// real HTTP, as a user's would. One per test collection; each test works in a project of its own.
/// The sample inventory of the silo's appsettings applies (dgx-a100-01 with two mig-3g.20gb slices).
/// </summary>
public class Platform : IAsyncLifetime
{
    private readonly IReadOnlyDictionary<string, string>? _settings;

    public Platform()
    {
    }

    /// <param name="settings">Configuration on top of the silo's appsettings, for a platform of a test class's own.</param>
    protected Platform(IReadOnlyDictionary<string, string> settings) => _settings = settings;

    /// <summary>The platform's bootstrap cluster-admin token: every test's CLI sends it unless the test says otherwise.</summary>
    public string Token { get; private set; } = string.Empty;

    private TestDatabase? _database;
    // A property, not a field: the factory is disposed in DisposeAsync, which xunit calls for the collection.
    private FlyteApiFactory? Factory { get; set; }

    public string Url { get; private set; } = string.Empty;

    /// <summary>The platform's own database, for tests that play an intruder with SQL access.</summary>
    public string ConnectionString => _database?.ConnectionString ?? throw new InvalidOperationException("the platform has not started");

    public HttpClient Http { get; private set; } = null!;

    /// <summary>The silo's (and API's) services, for tests that reach into the platform.</summary>
    public IServiceProvider Services => Factory?.Services ?? throw new InvalidOperationException("the platform has not started");

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("cli");
        Factory = new FlyteApiFactory(_database.ConnectionString, _settings);
        Factory.UseKestrel(0);
        Factory.StartServer();
        var addresses = Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Url = addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
        Token = Factory.AdminToken;
        Http = new HttpClient { BaseAddress = new Uri(Url) };
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        (await Http.GetAsync(new Uri("/readyz", UriKind.Relative))).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    public async Task CreateProject(string name)
    {
        (await Http.PostAsJsonAsync("/api/v1/projects", new { name })).EnsureSuccessStatusCode();
    }
}

[CollectionDefinition(Name)]
public sealed class SharedPlatform : ICollectionFixture<Platform>
{
    public const string Name = "platform";
}

/// <summary>A test against the shared platform, in a project of its own, with a CLI pointed at it.</summary>
public abstract class PlatformTest : IAsyncLifetime
{
    protected PlatformTest(Platform platform, string project)
    {
        Platform = platform;
        Project = project;
        Work = Directory.CreateTempSubdirectory("orleans-flyte-cli-").FullName;
        Cli = new Cli { WorkingDirectory = Work };
        Cli.Environment["ORLEANS_FLYTE_URL"] = platform.Url;
        Cli.Environment["ORLEANS_FLYTE_PROJECT"] = project;
        Cli.Environment["ORLEANS_FLYTE_CONFIG"] = Path.Combine(Work, "config.yaml");
        Cli.Environment["ORLEANS_FLYTE_TOKEN"] = platform.Token;
    }

    protected Platform Platform { get; }

    protected string Project { get; }

    protected Cli Cli { get; }

    /// <summary>The test's own folder: spec files, scratch files tasks write, the CLI's config file.</summary>
    protected string Work { get; }

    public virtual Task InitializeAsync() => Platform.CreateProject(Project);

    public virtual Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Work, recursive: true);
        }
        catch (IOException)
        {
            // A task process may still be writing into it; the temp folder is cleaned up eventually.
        }

        return Task.CompletedTask;
    }

    /// <summary>Switches this test to a project of its own, for tests of one class that must not see each other's registrations.</summary>
    protected async Task UseProject(string name)
    {
        await Platform.CreateProject(name);
        Cli.Environment["ORLEANS_FLYTE_PROJECT"] = name;
    }

    protected string WriteFile(string name, string text)
    {
        var path = Path.Combine(Work, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A task running <c>sh -c script</c> and a one-node workflow of the same name around it.</summary>
    protected async Task RegisterScript(string name, string script, string inputs = "{}", string outputs = "{}", string extra = "")
    {
        var yaml = $$"""
            name: {{name}}
            version: v1
            container: { image: local, command: [sh, -c, {{System.Text.Json.JsonSerializer.Serialize(script)}}] }
            inputs: {{inputs}}
            outputs: {{outputs}}
            {{extra}}
            ---
            name: {{name}}
            version: v1
            inputs: {{inputs}}
            nodes:
              - id: step
                task: {{name}}@v1
                inputs: {{Bindings(inputs, "inputs")}}
            outputs: {{Bindings(outputs, "nodes.step.outputs")}}
            """;
        var result = await Cli.Run("register", WriteFile($"{name}.yaml", yaml));
        result.ExitCode.Should().Be(0, result.ToString());
    }

    /// <summary><c>{ a: "{{ from.a }}", ... }</c> for the names of a flow mapping such as <c>{ a: string, b: int }</c>.</summary>
    private static string Bindings(string declared, string from)
    {
        var names = declared.Trim('{', '}', ' ').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split(':')[0].Trim());
        return "{ " + string.Join(", ", names.Select(n => $"{n}: \"{{{{ {from}.{n} }}}}\"")) + " }";
    }
}
