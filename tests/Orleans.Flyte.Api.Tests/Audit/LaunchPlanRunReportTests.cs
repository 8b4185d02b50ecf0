using System.Net;
using Orleans.Flyte.Api.Tests.LaunchPlans;

namespace Orleans.Flyte.Api.Tests.Audit;

/// <summary>A run a launch plan created: its report says which version fired it and who had activated that version, and why.</summary>
public sealed class LaunchPlanRunReportTests : LaunchPlanTestBase
{
    [Fact]
    public async Task A_triggered_run_names_its_launch_plan_version_and_who_activated_it_and_why()
    {
        await Register("manual", "cron: \"0 * * * *\"");
        await Expect(HttpStatusCode.Created, Post($"{Scope}/launchplans", """
            name: manual
            version: v2
            workflow: nightly@v1
            inputs: { gate: "/" }
            schedule: { cron: "0 * * * *", kickoffTimeInput: at }
            """));
        await Transition("manual", "v2", "activate", "new model approved by risk");

        var launched = await Expect(HttpStatusCode.Accepted, PostJson($"{Scope}/launchplans/manual/trigger", new { version = "v2" }));
        var report = await Expect(HttpStatusCode.OK, Get($"{Scope}/executions/{launched["executions"]![0]!["id"]!.GetValue<string>()}/audit"));

        var origin = report["origin"]!;
        origin["launchPlan"]!.GetValue<string>().Should().Be("manual@v2");
        origin["activatedBy"]!.GetValue<string>().Should().NotBeNullOrEmpty();
        origin["activationReason"]!.GetValue<string>().Should().Be("new model approved by risk");
        report["chains"]!.AsArray().Select(c => c!["stream"]!.GetValue<string>()).Should().Contain("launchplan/lab/development/manual");
        report["chainsIntact"]!.GetValue<bool>().Should().BeTrue();
    }
}
