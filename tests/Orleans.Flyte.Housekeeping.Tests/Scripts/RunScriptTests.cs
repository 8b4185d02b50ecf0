using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Housekeeping.Tests.Scripts;

/// <summary>
/// scripts/run owns the PostgreSQL it starts: however the silo ends (Ctrl-C, SIGTERM, on its own), that server is
/// stopped; a server that was running before is left running (issue 18). The silo is <see cref="FakeDotnet"/>.
/// </summary>
public sealed class RunScriptTests
{
    private static readonly TimeSpan _deadline = TimeSpan.FromMinutes(3); // a bound, not a wait: PostgreSQL starts in seconds on an idle machine

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Stopping_run_with_a_signal_stops_the_silo_and_the_PostgreSQL_it_started(string signal)
    {
        var postgres = new ScratchPostgres("pg-run");
        var dotnet = new FakeDotnet(postgres.Folder);
        try
        {
            using var run = ScriptProcess.Start("run", postgres.With(dotnet.Environment));
            await Eventually.Until(() => dotnet.Recorded("run-started") is not null || run.HasExited, "the silo to start", _deadline);
            dotnet.Recorded("run-started").Should().Contain($"Port={postgres.Port}", run.Errors);
            (await postgres.IsRunningAsync()).Should().BeTrue();

            await run.SignalAsync(signal);
            await run.WaitForExitAsync(_deadline);

            dotnet.Recorded("run-stopped").Should().Be("TERM", "the silo is asked to stop gracefully");
            (await postgres.IsRunningAsync()).Should().BeFalse(run.Errors);
        }
        finally
        {
            await postgres.RemoveAsync();
        }
    }

    [Fact]
    public async Task Run_leaves_a_PostgreSQL_that_was_running_before_it_running()
    {
        var postgres = new ScratchPostgres("pg-run");
        var dotnet = new FakeDotnet(postgres.Folder);
        try
        {
            (await postgres.StartAsync()).ExitCode.Should().Be(0);
            using var run = ScriptProcess.Start("run", postgres.With(dotnet.Environment));
            await Eventually.Until(() => dotnet.Recorded("run-started") is not null || run.HasExited, "the silo to start", _deadline);

            await run.SignalAsync("TERM");
            await run.WaitForExitAsync(_deadline);

            dotnet.Recorded("run-stopped").Should().Be("TERM");
            (await postgres.IsRunningAsync()).Should().BeTrue("scripts/run did not start it, so it does not stop it");
        }
        finally
        {
            await postgres.RemoveAsync();
        }
    }

    [Fact]
    public async Task When_the_silo_exits_on_its_own_run_exits_with_its_status_and_stops_the_PostgreSQL_it_started()
    {
        var postgres = new ScratchPostgres("pg-run");
        var dotnet = new FakeDotnet(postgres.Folder);
        try
        {
            using var run = ScriptProcess.Start("run", postgres.With(new Dictionary<string, string?>(dotnet.Environment) { ["FAKE_DOTNET_EXIT"] = "3" }));

            var exitCode = await run.WaitForExitAsync(_deadline);

            exitCode.Should().Be(3, run.Errors);
            dotnet.Recorded("run-started").Should().NotBeNull();
            (await postgres.IsRunningAsync()).Should().BeFalse(run.Errors);
        }
        finally
        {
            await postgres.RemoveAsync();
        }
    }
}
