using Npgsql;

namespace Orleans.Flyte.Bench;

/// <summary>
/// What one benchmark run creates outside itself: its own database and the local runner's work root (a folder per task
/// attempt). Both go when the run ends, whichever mode ran and however it ended.
/// </summary>
internal sealed class BenchScratch(string adminConnectionString, string database, string workRoot) : IAsyncDisposable
{
    public string WorkRoot => workRoot;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (Environment.GetEnvironmentVariable("BENCH_KEEP_DATABASE") is not null)
        {
            Console.WriteLine($"database kept        : {database} (BENCH_KEEP_DATABASE)");
            return;
        }

        await using (var admin = new NpgsqlConnection(adminConnectionString))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop database if exists {database} with (force)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        // The work root and the local runner's spare directories beside it (SpareDirectories).
        foreach (var folder in new[] { workRoot, workRoot + ".spare" })
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
