using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Orleans.Flyte.Testing;

/// <summary>
/// The real silo host (Orleans + API) on a database of its own, with free silo ports so test classes
/// can run in parallel. Dispose and create another on the same connection string to restart the platform
/// (pass the same <c>Orleans:ServiceId</c> in <paramref name="settings"/> to keep its reminders).
/// </summary>
/// <remarks>Authentication is on, as in production: the platform writes its bootstrap cluster-admin token to a file (one
/// per database, so a restart on the same database finds the same token), and <see cref="WebApplicationFactory{T}.CreateClient()"/>
/// sends it. Tests that act as someone else create tokens or JWTs of their own.</remarks>
/// <param name="settings">Configuration on top of the test defaults and the silo's appsettings (later wins).</param>
/// <param name="testServices">Services replaced after the host's own (e.g. a test clock).</param>
public sealed class FlyteApiFactory(
    string connectionString,
    IReadOnlyDictionary<string, string>? settings = null,
    Action<IServiceCollection>? testServices = null) : WebApplicationFactory<Program>
{
    private readonly string? _ownWorkRoot = settings?.ContainsKey("Flyte:Runners:Local:WorkRoot") == true ? null : ScratchDirectories.Create("platform");

    /// <summary>
    /// Where the local runner puts attempt directories. Passed in settings, it belongs to the caller (to keep it across
    /// restarts); otherwise it is a scratch folder of this instance, deleted when the platform is disposed.
    /// </summary>
    public string WorkRoot => _ownWorkRoot ?? settings!["Flyte:Runners:Local:WorkRoot"];

    /// <summary>The artifact store: beside the work root, so it lives and goes with it.</summary>
    public string ArtifactRoot => Path.TrimEndingDirectorySeparator(WorkRoot) + "-artifacts";

    private static readonly ConcurrentDictionary<string, string> s_tokenFiles = new(StringComparer.Ordinal);

    /// <summary>Where this platform's bootstrap cluster-admin token is (the same file for every platform on this database).</summary>
    public string AdminTokenFile { get; } = s_tokenFiles.GetOrAdd(connectionString, _ => Path.Combine(ScratchDirectories.Create("auth"), "admin-token"));

    /// <summary>The bootstrap cluster-admin token (starts the platform if it is not running yet).</summary>
    public string AdminToken
    {
        get
        {
            _ = Services;
            return File.ReadAllText(AdminTokenFile).Trim();
        }
    }

    /// <summary>Every client this factory makes acts as the bootstrap cluster-admin.</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var clusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
        builder.UseSetting("ConnectionStrings:Postgres", connectionString);
        builder.UseSetting("Orleans:ClusterId", clusterId);
        builder.UseSetting("Orleans:ServiceId", clusterId);
        builder.UseSetting("Orleans:SiloPort", TestPorts.Free().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:GatewayPort", TestPorts.Free().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.ConfigureLogging(logging => logging.AddTestHostFilters());
        builder.UseSetting("Flyte:Runners:Local:WorkRoot", WorkRoot);
        builder.UseSetting("Flyte:Artifacts:Root", ArtifactRoot);
        builder.UseSetting("Flyte:Engine:RetryBaseDelay", "00:00:00.100");
        builder.UseSetting("Flyte:Engine:ReminderPeriod", "00:00:05");
        builder.UseSetting("Orleans:MinimumReminderPeriod", "00:00:05");
        builder.UseSetting("Flyte:Auth:BootstrapTokenFile", AdminTokenFile);

        // Tests send many bad tokens from one address on purpose; the limit has its own test.
        builder.UseSetting("Flyte:Auth:FailedAuthenticationsPerMinute", "1000000");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(StopHostOnFatalError.Register);
        if (testServices is not null)
        {
            builder.ConfigureTestServices(testServices);
        }
    }

    /// <remarks>Runs after the host has stopped (DisposeAsync ends here too), so no attempt process still writes there.</remarks>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownWorkRoot is not null)
        {
            ScratchDirectories.Delete(_ownWorkRoot);
            ScratchDirectories.Delete(ArtifactRoot);
        }
    }
}
