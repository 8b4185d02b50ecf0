using System.Net;

namespace Orleans.Flyte.Api.Tests.LaunchPlans;

/// <summary>
/// The platform is down from minute 10 to minute 75 of a ten-minute schedule: instants 20..70 pass unfired. When it is
/// back, its durable reminder wakes the launch plan (nothing calls it), and the catch-up policy decides exactly which
/// of the late instants run.
/// </summary>
public sealed class CatchUpTests : LaunchPlanTestBase
{
    [Theory]
    [InlineData("none", 6, new int[0])]
    [InlineData("latest", 5, new[] { 70 })]
    [InlineData("all, maxCatchUp: 3", 3, new[] { 50, 60, 70 })]
    public async Task After_downtime_the_catch_up_policy_decides_exactly_which_late_instants_run(string policy, int missed, int[] caughtUp)
    {
        await Register("hourly-ish", $"cron: \"*/10 * * * *\", catchUp: {policy}");
        await Transition("hourly-ish", "v1", "activate");
        await StepTo(10, minute => minute == 10 ? WaitForRun("hourly-ish", Minute(10)) : Task.CompletedTask);

        await StopPlatform();
        Clock.Set(Minute(75));
        await StartPlatform();

        // Watch the read model only: the reminder, not a call, must bring the plan back.
        await UntilAdvancing(async () =>
        {
            var list = await Expect(HttpStatusCode.OK, Get($"{Scope}/launchplans?state=active"));
            return list["items"]![0]!["scheduledThrough"]!.GetValue<DateTimeOffset>() == Minute(70);
        }, "the schedule to decide the instants it missed", step: TimeSpan.FromSeconds(1), maxAdvance: TimeSpan.FromMinutes(4));
        var view = await LaunchPlan("hourly-ish");
        await StepTo(80, minute => minute == 80 ? WaitForRun("hourly-ish", Minute(80)) : Task.CompletedTask);

        view["missed"]!.GetValue<long>().Should().Be(missed);
        (await Instants("hourly-ish")).Should().Equal(caughtUp.Prepend(10).Append(80).Select(Minute),
            "the on-time instants run, and of the late ones exactly those the policy keeps");
    }
}
