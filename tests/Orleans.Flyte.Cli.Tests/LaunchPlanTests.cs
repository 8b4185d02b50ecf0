using System.Text.Json.Nodes;

namespace Orleans.Flyte.Cli.Tests;

[Collection(SharedPlatform.Name)]
public sealed class LaunchPlanTests(Platform platform) : PlatformTest(platform, "cli-lp")
{
    [Fact]
    public async Task A_launch_plan_goes_through_its_lifecycle_from_the_command_line()
    {
        await RegisterScript("report", """echo "report for $FLYTE_INPUT_DAY"; echo '{}' > "$FLYTE_OUTPUTS" """, inputs: "{ day: string, team: string }");
        WriteFile("plans/nightly-report.yaml", """
            name: nightly-report
            version: v1
            workflow: report@v1
            inputs: { team: quant }
            defaultInputs: { day: today }
            schedule: { cron: "0 2 * * *", timezone: Asia/Seoul }
            """);

        var registered = await Cli.Run("launchplan", "register", "plans");
        registered.ExitCode.Should().Be(0, registered.ToString());
        registered.Stdout.Should().Contain("launch plan  nightly-report  v1       created");

        var activated = await Cli.Run("launchplan", "activate", "nightly-report@v1", "--reason", "go live");
        activated.ExitCode.Should().Be(0, activated.ToString());
        Snapshot.Match("launchplan-activated", activated.Stdout);

        var paused = await Cli.Run("lp", "pause", "nightly-report", "--reason", "db maintenance");
        paused.Stdout.Should().Contain("Schedule:           paused");
        var resumed = await Cli.Run("lp", "resume", "nightly-report");
        resumed.Stdout.Should().Contain("Schedule:           running");

        // A manual launch overrides a default input; the fixed one stays.
        var triggered = await Cli.Run(TimeSpan.FromMinutes(2), null, "lp", "trigger", "nightly-report", "-i", "day=2026-11-28", "--watch", "-o", "json");
        triggered.ExitCode.Should().Be(0, triggered.ToString());
        var execution = JsonNode.Parse(triggered.Stdout)!;
        execution["inputs"]!.ToJsonString().Should().Be("""{"day":"2026-11-28","team":"quant"}""");
        execution["launchPlan"]!.GetValue<string>().Should().Be("nightly-report@v1");

        var fixedInput = await Cli.Run("lp", "trigger", "nightly-report", "-i", "team=other");
        fixedInput.ExitCode.Should().Be(1, fixedInput.ToString());
        fixedInput.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle().Which.Should().Contain("/inputs/team");

        var deactivated = await Cli.Run("lp", "deactivate", "nightly-report", "v1", "--reason", "replaced");
        deactivated.Stdout.Should().Contain("Schedule:           off (no active version)").And.Contain("v1       inactive");

        var archived = await Cli.Run("lp", "archive", "nightly-report@v1");
        archived.ExitCode.Should().Be(0, archived.ToString());
        var refused = await Cli.Run("lp", "trigger", "nightly-report@v1");
        refused.ExitCode.Should().Be(1);
        refused.Stderr.Should().Be("error: Version 'v1' is archived: it cannot be launched. Restore it first (POST .../launchplans/nightly-report/versions/v1/restore, " +
            "or .../launchplans/nightly-report/restore for every version), then launch it again.\n");
        (await Cli.Run("get", "launchplans")).Stderr.Should().Be("no launch plans in cli-lp/development\n", "archived versions are hidden by default");
        (await Cli.Run("get", "launchplans", "--state", "archived")).Stdout.Should().Contain("nightly-report  v1       archived");

        var restored = await Cli.Run("lp", "restore", "nightly-report@v1");
        restored.Stdout.Should().Contain("v1       inactive");

        var backfill = await Cli.Run("lp", "backfill", "nightly-report@v1", "--from", "2026-11-01T00:00:00Z", "--to", "2026-11-03T00:00:00Z");
        backfill.ExitCode.Should().Be(0, backfill.ToString());
        backfill.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(3, "one run per night (17:00 UTC is 02:00 in Seoul), after the header");
        backfill.Stdout.Should().Contain("2026-11-01T17:00:00Z").And.Contain("2026-11-02T17:00:00Z");

        var noVersion = await Cli.Run("lp", "activate", "nightly-report");
        noVersion.ExitCode.Should().Be(2);
        noVersion.Stderr.Should().StartWith("error: which version? activate takes NAME@VERSION or NAME VERSION");
    }
}
