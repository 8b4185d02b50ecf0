using System.Net;
using System.Net.Http.Json;

namespace Orleans.Flyte.Api.Tests.LaunchPlans;

/// <summary>
/// The reported bug: archiving or deactivating a launch plan did not stop its schedule. Here a per-minute schedule
/// fires, is stopped, and the clock runs on for an hour (and another after a restart): it never fires again, while
/// another launch plan keeps firing on time throughout.
/// </summary>
public sealed class StoppingScheduleTests : LaunchPlanTestBase
{
    [Theory]
    [InlineData("archive", "archived")]
    [InlineData("deactivate", "inactive")]
    public async Task A_stopped_schedule_never_fires_again_even_after_a_restart_and_other_schedules_keep_firing(string action, string state)
    {
        await Register("every-minute", "cron: \"* * * * *\"");
        await Register("ten-minutes", "cron: \"*/10 * * * *\", timezone: Europe/Berlin");
        await Transition("every-minute", "v1", "activate");
        await Transition("ten-minutes", "v1", "activate");

        await StepTo(3, minute => WaitForRun("every-minute", Minute(minute)));
        var stopped = await Transition("every-minute", "v1", action, reason: "the source table is being migrated");
        var fireEvents = await StoredEventCount("launch_plan_fired", "launchplan/lab/development/every-minute");

        stopped["versions"]![0]!["state"]!.GetValue<string>().Should().Be(state);
        stopped["versions"]![0]!["changeReason"]!.GetValue<string>().Should().Be("the source table is being migrated");
        stopped["nextFires"]!.AsArray().Should().BeEmpty("a stopped schedule has no next fire");
        fireEvents.Should().Be(3);

        // An hour passes, minute by minute; the other plan fires at every ten-minute mark, on time.
        await StepTo(63, async minute =>
        {
            if (minute % 10 == 0)
            {
                await WaitForRun("ten-minutes", Minute(minute));
            }
        });

        // Restart: the active plan comes back through its durable reminder; the stopped one has none.
        await StopPlatform();
        await StartPlatform();
        await StepTo(123, async minute =>
        {
            if (minute % 10 == 0)
            {
                await WaitForRun("ten-minutes", Minute(minute), seconds: 60);
            }
        });
        var afterRestart = await LaunchPlan("every-minute"); // activating the stopped plan must not make it fire either
        await StepTo(130, minute => minute == 130 ? WaitForRun("ten-minutes", Minute(130)) : Task.CompletedTask);

        (await Instants("every-minute")).Should().Equal(Minute(1), Minute(2), Minute(3));
        (await StoredEventCount("launch_plan_fired", "launchplan/lab/development/every-minute")).Should().Be(3);
        afterRestart["fired"]!.GetValue<long>().Should().Be(3);
        afterRestart["activeVersion"].Should().BeNull();
        (await Instants("ten-minutes")).Should().Equal(Enumerable.Range(1, 13).Select(i => Minute(i * 10)), "the other schedule fired every instant exactly once");
        var ten = await LaunchPlan("ten-minutes");
        ten["missed"]!.GetValue<long>().Should().Be(0);
    }

    [Fact]
    public async Task An_archived_version_is_hidden_from_default_listings_refuses_manual_launches_and_can_be_restored()
    {
        await Register("nightly", "cron: \"@daily\"");
        await Transition("nightly", "v1", "activate");
        await Transition("nightly", "v1", "archive");

        var listed = await Expect(HttpStatusCode.OK, Get($"{Scope}/launchplans"));
        var archived = await Expect(HttpStatusCode.OK, Get($"{Scope}/launchplans?state=archived"));
        var trigger = await Http.PostAsJsonAsync(new Uri($"{Scope}/launchplans/nightly/trigger", UriKind.Relative), new { version = "v1" });
        var restored = await Transition("nightly", "v1", "restore");
        var launched = await Expect(HttpStatusCode.Accepted, PostJson($"{Scope}/launchplans/nightly/trigger", new { version = "v1" }));

        listed["items"]!.AsArray().Should().BeEmpty();
        archived["items"]!.AsArray().Should().ContainSingle().Which!["state"]!.GetValue<string>().Should().Be("archived");
        trigger.StatusCode.Should().Be(HttpStatusCode.Conflict);
        restored["versions"]![0]!["state"]!.GetValue<string>().Should().Be("inactive", "restored versions come back inactive: restoring never restarts a schedule");
        launched["executions"]!.AsArray().Should().ContainSingle();
    }
}
