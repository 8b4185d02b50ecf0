using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Orleans.Flyte.Api.Tests.LaunchPlans;

namespace Orleans.Flyte.Api.Tests.Audit;

/// <summary>
/// A launch plan and task version lists as of an instant: with the platform's clock held still between steps, the live
/// answer at each instant is recorded, and the as-of answer for that instant, folded from the stored events, equals it.
/// </summary>
public sealed class LaunchPlanAsOfTests : LaunchPlanTestBase
{
    [Fact]
    public async Task A_launch_plan_and_a_task_version_list_as_of_each_recorded_instant_equal_what_the_live_api_answered_then()
    {
        var recorded = new List<(DateTimeOffset At, string Path, JsonObject Live)>();
        async Task Record(int minute)
        {
            // Launch plans take their time from the schedule clock (held here); definitions from the platform's own clock.
            Clock.Set(Minute(minute));
            recorded.Add((Minute(minute), $"{Scope}/launchplans/hourly", await Expect(HttpStatusCode.OK, Get($"{Scope}/launchplans/hourly"))));
            var versions = await Expect(HttpStatusCode.OK, Get($"{Scope}/tasks/stamp"));
            recorded.Add((DateTimeOffset.UtcNow, $"{Scope}/tasks/stamp", versions));
        }

        Clock.Set(Minute(1));
        await Register("hourly", "cron: \"0 * * * *\"");
        await Record(2);
        Clock.Set(Minute(3));
        await Register("hourly", "cron: \"30 * * * *\"", version: "v2");
        await Record(4);
        Clock.Set(Minute(5));
        await Transition("hourly", "v2", "activate", "the half-hour slot is quieter");
        await Record(6);
        Clock.Set(Minute(7));
        await Expect(HttpStatusCode.OK, PostJson($"{Scope}/launchplans/hourly/pause", new { reason = "maintenance" }));
        await Record(8);
        Clock.Set(Minute(9));
        await Transition("hourly", "v1", "archive", "superseded");
        await Expect(HttpStatusCode.Created, Post($"{Scope}/tasks", """
            name: stamp
            version: v2
            container: { image: local, command: [sh, -c, "true"] }
            inputs: { at: datetime, gate: string, epochs: int }
            outputs: {}
            """));
        await Record(10);

        foreach (var (at, path, live) in recorded)
        {
            var asOf = await Expect(HttpStatusCode.OK, Get($"{path}?asOf={Uri.EscapeDataString(at.ToString("O", CultureInfo.InvariantCulture))}"));
            JsonNode.DeepEquals(asOf, live).Should().BeTrue($"{path} as of {at:O}:\n live:  {live.ToJsonString()}\n as-of: {asOf.ToJsonString()}");
        }

        var before = await Expect(HttpStatusCode.OK, Get($"{Scope}/launchplans/hourly?asOf={Uri.EscapeDataString(Minute(4).ToString("O", CultureInfo.InvariantCulture))}"));
        before["activeVersion"].Should().BeNull("nothing was active before v2 was activated at minute 5");
        var after = await Expect(HttpStatusCode.OK, Get($"{Scope}/launchplans/hourly?asOf={Uri.EscapeDataString(Minute(6).ToString("O", CultureInfo.InvariantCulture))}"));
        after["activeVersion"]!.GetValue<string>().Should().Be("v2");
        var v2 = after["versions"]!.AsArray().Single(v => v!["version"]!.GetValue<string>() == "v2")!;
        v2.ToJsonString().Should().Contain("the half-hour slot is quieter", "who activated it and why are part of the version");
        await Expect(HttpStatusCode.NotFound, Get($"{Scope}/launchplans/hourly?asOf={Uri.EscapeDataString(T0.ToString("O", CultureInfo.InvariantCulture))}"));
    }
}
