using System.Globalization;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Housekeeping.Tests.Scripts;

/// <summary>
/// What scripts/postgres manages when a test points it at a scratch data directory and a free port: a real server of
/// its own, never the shared one the other tests use.
/// </summary>
internal sealed class ScratchPostgres(string name)
{
    public string Folder { get; } = ScratchDirectories.Create(name);

    public int Port { get; } = TestPorts.Free();

    public string DataDirectory => Path.Combine(Folder, "data");

    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["ORLEANS_FLYTE_PGDATA"] = DataDirectory,
        ["ORLEANS_FLYTE_PG_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The same settings with others on top (later wins).</summary>
    public IReadOnlyDictionary<string, string?> With(IReadOnlyDictionary<string, string?> more) =>
        Environment.Concat(more).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    public Task<(int ExitCode, string Output, string Errors)> StartAsync() => ScriptProcess.RunAsync("postgres", Environment, "start");

    public async Task<bool> IsRunningAsync() => (await ScriptProcess.RunAsync("postgres", Environment, "status")).ExitCode == 0;

    /// <summary>Stops the server if it runs and deletes the folder; for <c>finally</c> blocks.</summary>
    public async Task RemoveAsync()
    {
        try
        {
            await ScriptProcess.RunAsync("postgres", Environment, "stop");
        }
        finally
        {
            ScratchDirectories.Delete(Folder);
        }
    }
}
