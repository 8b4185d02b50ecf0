using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Orleans.Flyte.Housekeeping.Tests.Scripts;

/// <summary>scripts/postgres start: its own server or none; never one it did not start (issue 18).</summary>
public sealed class PostgresScriptTests
{
    [Fact]
    public async Task Start_refuses_a_PostgreSQL_on_its_port_that_its_data_directory_did_not_start_and_names_the_setting_to_change()
    {
        // The foreign server is a full scripts/postgres server of another data directory: the flyte role and database
        // exist there and the login works, which is exactly when the old script quietly used it.
        var foreign = new ScratchPostgres("pg-foreign");
        var mine = new ScratchPostgres("pg-mine");
        var onForeignPort = mine.With(new Dictionary<string, string?> { ["ORLEANS_FLYTE_PG_PORT"] = foreign.Port.ToString(CultureInfo.InvariantCulture) });
        try
        {
            (await foreign.StartAsync()).ExitCode.Should().Be(0);

            var (exitCode, output, errors) = await ScriptProcess.RunAsync("postgres", onForeignPort, "start");

            exitCode.Should().NotBe(0, errors);
            output.Should().BeEmpty("no connection string may be printed for a server that is not ours");
            errors.Should().Contain($"127.0.0.1:{foreign.Port}").And.Contain("ORLEANS_FLYTE_PG_PORT").And.Contain("ORLEANS_FLYTE_TEST_POSTGRES");
            File.Exists(Path.Combine(mine.DataDirectory, "PG_VERSION")).Should().BeFalse("nothing is initialised for a refused start");
            (await foreign.IsRunningAsync()).Should().BeTrue("the foreign server is left alone");
        }
        finally
        {
            await mine.RemoveAsync();
            await foreign.RemoveAsync();
        }
    }

    [Fact]
    public async Task Start_refuses_a_port_that_a_program_other_than_PostgreSQL_listens_on()
    {
        var mine = new ScratchPostgres("pg-mine");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            var (exitCode, _, errors) = await ScriptProcess.RunAsync(
                "postgres", mine.With(new Dictionary<string, string?> { ["ORLEANS_FLYTE_PG_PORT"] = port.ToString(CultureInfo.InvariantCulture) }), "start");

            exitCode.Should().NotBe(0, errors);
            errors.Should().Contain($"127.0.0.1:{port} is taken by another program").And.Contain("ORLEANS_FLYTE_PG_PORT");
        }
        finally
        {
            await mine.RemoveAsync();
        }
    }

    [Fact]
    public async Task A_data_directory_too_deep_for_a_unix_socket_still_starts_and_its_socket_folder_goes_with_stop()
    {
        // Inside a scripts/test run both the data directory and TMPDIR are deep: the socket (at most 107 bytes of path)
        // fits beside neither, so it goes to a folder of its own under /tmp, which stop removes again.
        var postgres = new ScratchPostgres("pg-deep");
        var deep = Path.Combine(postgres.Folder, new string('d', 60), "data");
        var environment = postgres.With(new Dictionary<string, string?> { ["ORLEANS_FLYTE_PGDATA"] = deep, ["TMPDIR"] = Path.Combine(postgres.Folder, new string('t', 60)) });
        var socketFolder = $"/tmp/orleans-flyte-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(deep)))[..10]}.s";
        try
        {
            var start = await ScriptProcess.RunAsync("postgres", environment, "start");
            start.ExitCode.Should().Be(0, start.Errors);
            Directory.Exists(socketFolder).Should().BeTrue();

            var stop = await ScriptProcess.RunAsync("postgres", environment, "stop");

            stop.ExitCode.Should().Be(0, stop.Errors);
            Directory.Exists(socketFolder).Should().BeFalse();
        }
        finally
        {
            await ScriptProcess.RunAsync("postgres", environment, "stop");
            await postgres.RemoveAsync();
        }
    }

    [Fact]
    public async Task Start_uses_the_server_of_its_own_data_directory_when_it_already_runs()
    {
        var mine = new ScratchPostgres("pg-mine");
        try
        {
            var first = await mine.StartAsync();
            first.ExitCode.Should().Be(0, first.Errors);

            var again = await mine.StartAsync();

            again.ExitCode.Should().Be(0, again.Errors);
            again.Output.Trim().Should().Be(first.Output.Trim()).And.Contain($"Port={mine.Port}");
        }
        finally
        {
            await mine.RemoveAsync();
        }
    }
}
