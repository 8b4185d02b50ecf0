using System.Net;

namespace Orleans.Flyte.Api.Tests.LaunchPlans;

/// <summary>
/// The team's original complaint was archiving "the launch plan", the whole named plan, from the console: one call by
/// name, one event, every version's schedule stopped. And a plan's view counts every run it created, by kind.
/// </summary>
public sealed class WholeLaunchPlanTests : LaunchPlanTestBase
{
    private const string Stream = "launchplan/lab/development/every-minute";

    [Fact]
    public async Task Archiving_a_launch_plan_by_name_archives_every_version_in_one_event_and_its_schedule_stops()
    {
        await Register("every-minute", "cron: \"* * * * *\"", version: "v1");
        await Register("every-minute", "cron: \"* * * * *\"", version: "v2");
        await Register("barrier", "cron: \"* * * * *\"");
        await Transition("every-minute", "v2", "activate");
        await Transition("barrier", "v1", "activate");
        await StepTo(2, minute => WaitForRun("every-minute", Minute(minute)));

        var archived = await Expect(HttpStatusCode.OK, PostJson($"{Scope}/launchplans/every-minute/archive", new { reason = "replaced by a new pipeline" }));

        archived["versions"]!.AsArray().Select(v => v!["state"]!.GetValue<string>()).Should().Equal("archived", "archived");
        archived["activeVersion"].Should().BeNull();
        archived["nextFires"]!.AsArray().Should().BeEmpty();
        (await StoredEventCount("launch_plan_archived_all", Stream)).Should().Be(1, "the whole plan is archived in one event");
        (await StoredEventCount("launch_plan_archived", Stream)).Should().Be(0);
        await StepTo(6, minute => WaitForRun("barrier", Minute(minute)));
        (await Instants("every-minute")).Should().Equal(Minute(1), Minute(2));

        var refused = await Expect(HttpStatusCode.Conflict, PostJson($"{Scope}/launchplans/every-minute/trigger", new { }));
        refused["detail"]!.GetValue<string>().Should().Contain("every-minute/restore", "an error says what to do next");
        var listed = await Expect(HttpStatusCode.OK, Get($"{Scope}/launchplans?state=archived"));
        listed["items"]!.AsArray().Count(i => i!["name"]!.GetValue<string>() == "every-minute").Should().Be(2);

        var restored = await Expect(HttpStatusCode.OK, PostJson($"{Scope}/launchplans/every-minute/restore", new { reason = "back" }));
        restored["versions"]!.AsArray().Select(v => v!["state"]!.GetValue<string>()).Should().Equal("inactive", "inactive");
        (await StoredEventCount("launch_plan_restored_all", Stream)).Should().Be(1);

        await Transition("every-minute", "v1", "activate");
        var deactivated = await Expect(HttpStatusCode.OK, PostJson($"{Scope}/launchplans/every-minute/deactivate", new { reason = "pause it all" }));
        deactivated["versions"]!.AsArray().Select(v => v!["state"]!.GetValue<string>()).Should().Equal("inactive", "inactive");
        deactivated["nextFires"]!.AsArray().Should().BeEmpty();
        (await Expect(HttpStatusCode.NotFound, PostJson($"{Scope}/launchplans/no-such-plan/archive", new { })))["detail"]!.GetValue<string>()
            .Should().Contain("no-such-plan");
    }

    [Fact]
    public async Task A_launch_plan_counts_every_run_it_created_by_kind_and_shows_them_among_its_recent_runs()
    {
        await Register("counted", "cron: \"@daily\"");
        await Transition("counted", "v1", "activate");
        await Expect(HttpStatusCode.Accepted, PostJson($"{Scope}/launchplans/counted/trigger", new { reason = "rerun" }));
        await Expect(HttpStatusCode.Accepted, PostJson($"{Scope}/launchplans/counted/versions/v1/backfill",
            new { from = T0.AddDays(-7), to = T0 }));

        var view = await LaunchPlan("counted");

        view["runs"]!["triggered"]!.GetValue<long>().Should().Be(1);
        view["runs"]!["backfilled"]!.GetValue<long>().Should().Be(7);
        view["runs"]!["scheduled"]!.GetValue<long>().Should().Be(0);
        var recent = view["recentRuns"]!.AsArray().Select(r => r!["kind"]!.GetValue<string>()).ToList();
        recent.Should().HaveCount(8).And.StartWith("triggered");
        recent.Skip(1).Should().AllBe("backfilled");
    }
}
