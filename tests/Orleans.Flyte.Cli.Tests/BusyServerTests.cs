using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Grains.Submissions;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Cli.Tests;

/// <summary>A platform that works on one submission at a time and lets nobody wait: every other submission is a 429.</summary>
public sealed class BusyPlatform() : Platform(new Dictionary<string, string>
{
    ["Flyte:Submissions:MaxConcurrent"] = "1",
    ["Flyte:Submissions:MaxWaitingPerCaller"] = "0",
});

/// <summary>
/// A server too busy to queue a submission answers 429 with when to come back; the CLI says so, sends it again after
/// that long and goes on as if nothing happened. A busy server that stays busy is a failure after a bounded number of tries.
/// </summary>
public sealed class BusyServerTests(BusyPlatform platform) : PlatformTest(platform, "cli-busy"), IClassFixture<BusyPlatform>
{
    [Fact]
    public async Task Run_sends_a_submission_the_server_was_too_busy_for_again_after_its_retry_after()
    {
        await RegisterScript("quick", "true");
        var admission = Platform.Services.GetRequiredService<SubmissionAdmission>();
        var elsewhere = await admission.EnterAsync("someone-else");
        var refusedBefore = await RefusedSoFar();

        // The only turn is held: the CLI's submission is refused until the test lets go of it, which it does once the
        // server has refused at least once.
        var run = Cli.Run(TimeSpan.FromMinutes(2), null, "run", "quick@v1", "--watch");
        await Eventually.Until(RefusedSoFar, refused => refused > refusedBefore, "the server to refuse the CLI's submission", TimeSpan.FromSeconds(60));
        elsewhere.Turn!.Dispose();
        var result = await run;

        result.ExitCode.Should().Be(0, result.ToString());
        result.Stderr.Should().Contain("The server is busy:").And.Contain("Sending it again in 1 s (1 of 5)");
        result.Stdout.Should().StartWith("execution ");
        result.Stdout.Should().Contain("Succeeded");
    }

    [Fact]
    public async Task A_server_that_stays_busy_is_a_failure_after_the_last_try()
    {
        await RegisterScript("stuck", "true");
        var admission = Platform.Services.GetRequiredService<SubmissionAdmission>();
        var elsewhere = await admission.EnterAsync("someone-else");
        try
        {
            var result = await Cli.Run(TimeSpan.FromMinutes(2), null, "run", "stuck@v1");

            result.ExitCode.Should().Be(1, result.ToString());
            result.Stderr.Should().Contain("(5 of 5)").And.Contain("already waiting on this server");
            (await Executions()).Should().BeEmpty("a refused submission stores nothing");
        }
        finally
        {
            elsewhere.Turn!.Dispose();
        }
    }

    /// <summary><c>flyte_submissions_refused_total</c> as the platform's /metrics says it now.</summary>
    private async Task<double> RefusedSoFar()
    {
        var text = await Platform.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("flyte_submissions_refused_total", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<JsonArray> Executions()
    {
        var list = await Platform.Http.GetFromJsonAsync<JsonObject>(new Uri($"/api/v1/projects/{Project}/domains/development/executions", UriKind.Relative));
        return list!["items"]!.AsArray();
    }
}
