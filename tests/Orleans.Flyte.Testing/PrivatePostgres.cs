using System.Diagnostics;
using System.Globalization;

namespace Orleans.Flyte.Testing;

/// <summary>
/// A PostgreSQL server of one test's own (scripts/postgres with a data directory and port of its own), for tests that
/// stop and start the database: never the shared server other tests use. Disposing stops it and deletes its data.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _root;
    private readonly int _port;

    private PrivatePostgres(string root, int port, string connectionString)
    {
        _root = root;
        _port = port;
        ConnectionString = connectionString;
    }

    /// <summary>The <c>orleans_flyte</c> database of this server.</summary>
    public string ConnectionString { get; }

    public static async Task<PrivatePostgres> StartAsync()
    {
        // Under /tmp, not the checkout: the postgres user must be able to reach the data directory.
        var root = Path.Combine(Path.GetTempPath(), "orleans-flyte-private-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var port = TestPorts.Free();
        var connectionString = await RunAsync(root, port, "start");
        return new PrivatePostgres(root, port, connectionString.Trim());
    }

    /// <summary>Fast shutdown: open connections are cut, as when the database host goes away.</summary>
    public Task StopAsync() => RunAsync(_root, _port, "stop");

    public Task StartAgainAsync() => RunAsync(_root, _port, "start");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped or never started: nothing to stop.
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static async Task<string> RunAsync(string root, int port, string verb)
    {
        var startInfo = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Checkout.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Path.Combine(Checkout.Root, "scripts", "postgres"));
        startInfo.ArgumentList.Add(verb);
        startInfo.Environment["ORLEANS_FLYTE_PGDATA"] = Path.Combine(root, "postgres");
        startInfo.Environment["ORLEANS_FLYTE_PG_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not run scripts/postgres.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/postgres {verb} (port {port}) failed: {await errors}");
        }

        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
    }
}
