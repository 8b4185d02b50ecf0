using System.Diagnostics;
using System.Text;
using Npgsql;

namespace Orleans.Flyte.Testing;

/// <summary>
/// The PostgreSQL server the tests run against: <c>ORLEANS_FLYTE_TEST_POSTGRES</c> when set (scripts/test
/// sets it), otherwise the private server of this checkout, started on first use with <c>scripts/postgres start</c>.
/// </summary>
public static class PostgresServer
{
    public const string ConnectionStringVariable = "ORLEANS_FLYTE_TEST_POSTGRES";

    private static readonly TimeSpan _startTimeout = TimeSpan.FromMinutes(10);

    private static readonly Lazy<string> _adminConnectionString =
        new(Resolve, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Connection string of a role allowed to create databases (database <c>orleans_flyte</c>).</summary>
    public static string AdminConnectionString => _adminConnectionString.Value;

    private static string Resolve()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? StartLocalServer() : fromEnvironment.Trim();
    }

    private static string StartLocalServer()
    {
        var repositoryRoot = Checkout.Root;
        var script = Path.Combine(repositoryRoot, "scripts", "postgres");
        var startInfo = new ProcessStartInfo("bash")
        {
            WorkingDirectory = repositoryRoot,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(script);
        startInfo.ArgumentList.Add("start");

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not run 'bash {script} start'.");
        process.StandardInput.Close();
        var standardError = process.StandardError.ReadToEndAsync();
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(_startTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException(
                $"'{script} start' did not finish within {_startTimeout}. Set {ConnectionStringVariable} to use another server.");
        }

        var output = standardOutput.GetAwaiter().GetResult();
        var errors = standardError.GetAwaiter().GetResult();
        var lastLine = output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault();
        if (process.ExitCode != 0 || string.IsNullOrEmpty(lastLine))
        {
            throw new InvalidOperationException(
                $"'{script} start' failed (exit code {process.ExitCode}); set {ConnectionStringVariable} to use another server.{Environment.NewLine}{errors}");
        }

        return lastLine;
    }
}

/// <summary>
/// A fresh database on <see cref="PostgresServer"/>, typically one per test class; dropped (with FORCE) on dispose.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private const int MaxPrefixLength = 40;

    private int _disposed;

    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    /// <summary>Database name: <c>&lt;prefix&gt;_&lt;8 hex digits&gt;</c>, lower case.</summary>
    public string Name { get; }

    /// <summary>Connection string of the admin role pointed at this database.</summary>
    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync(string? prefix = null)
    {
        var name = $"{SafePrefix(prefix)}_{Guid.NewGuid().ToString("N")[..8]}";
        await ExecuteOnAdminAsync($"CREATE DATABASE \"{name}\"");
        var builder = new NpgsqlConnectionStringBuilder(PostgresServer.AdminConnectionString) { Database = name };
        return new TestDatabase(name, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using (var pooled = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        // Cleanup must never fail a test: retry briefly (a backend may still be leaving), then leave the database.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ExecuteOnAdminAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
                return;
            }
            catch (PostgresException) when (attempt < 5)
            {
                await Task.Delay(200 * attempt);
            }
            catch (PostgresException)
            {
                return;
            }
        }
    }

    private static async Task ExecuteOnAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(PostgresServer.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    // Lower-case ASCII letters, digits and underscores, starting with a letter: needs no quoting anywhere.
    private static string SafePrefix(string? prefix)
    {
        var safe = new StringBuilder(MaxPrefixLength);
        foreach (var character in prefix ?? string.Empty)
        {
            if (safe.Length == MaxPrefixLength)
            {
                break;
            }

            if (character is >= 'a' and <= 'z' or >= '0' and <= '9')
            {
                safe.Append(character);
            }
            else if (character is >= 'A' and <= 'Z')
            {
                safe.Append((char)(character - 'A' + 'a'));
            }
            else if (safe.Length > 0 && safe[^1] != '_')
            {
                safe.Append('_');
            }
        }

        var result = safe.ToString().Trim('_');
        return result.Length == 0 || result[0] is >= '0' and <= '9' ? $"test{result}" : result;
    }
}
