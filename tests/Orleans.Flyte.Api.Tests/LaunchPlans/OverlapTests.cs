using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests.LaunchPlans;

/// <summary>A run that is still going when the next instant is due (it waits for a gate file), under each overlap policy.</summary>
public sealed class OverlapTests : LaunchPlanTestBase
{
    private async Task FirstRunHeldOpen(string policy)
    {
        await Register("held", $"cron: \"*/10 * * * *\", overlap: {policy}", gate: Gate);
        await Transition("held", "v1", "activate");
        await StepTo(10, minute => minute == 10 ? WaitForPhase("held", Minute(10), "Running") : Task.CompletedTask);
    }

    private void OpenGate() => File.WriteAllText(Gate, "open");

    [Fact]
    public async Task Allow_starts_the_next_run_while_the_previous_one_is_still_going()
    {
        await FirstRunHeldOpen("allow");

        await StepTo(20, minute => minute == 20 ? WaitForRun("held", Minute(20)) : Task.CompletedTask);
        var runs = await Runs("held");
        OpenGate();

        runs.Should().HaveCount(2);
        runs[0].Phase.Should().Be("Running", "the first run was still going when the second started");
    }

    [Fact]
    public async Task Skip_records_the_instant_as_skipped_and_the_schedule_goes_on_once_the_run_ended()
    {
        await FirstRunHeldOpen("skip");

        await StepTo(20);
        await Eventually.Until(async () => (await LaunchPlan("held"))["skipped"]!.GetValue<long>() == 1, "instant 20 to be skipped", TimeSpan.FromSeconds(30));
        OpenGate();
        await WaitForPhase("held", Minute(10), "Succeeded");
        await StepTo(30, minute => minute == 30 ? WaitForRun("held", Minute(30)) : Task.CompletedTask);

        (await Instants("held")).Should().Equal(Minute(10), Minute(30));
    }

    [Fact]
    public async Task Buffer_keeps_one_instant_waiting_skips_the_rest_and_starts_it_when_the_previous_run_ends()
    {
        await FirstRunHeldOpen("buffer");

        await StepTo(20);
        await Eventually.Until(async () => (await LaunchPlan("held"))["buffered"]?.GetValue<DateTimeOffset>() == Minute(20), "instant 20 to wait", TimeSpan.FromSeconds(30));
        await StepTo(30);
        await Eventually.Until(async () => (await LaunchPlan("held"))["skipped"]!.GetValue<long>() == 1, "instant 30 to be skipped (the buffer holds one)", TimeSpan.FromSeconds(30));
        (await Instants("held")).Should().Equal([Minute(10)], "nothing starts while the first run goes on");

        OpenGate();
        await UntilAdvancing(async () => (await Runs("held")).Any(r => r.ScheduledAt == Minute(20)), "the buffered instant to start",
            step: TimeSpan.FromSeconds(1), maxAdvance: TimeSpan.FromMinutes(5));
        var runs = await Runs("held");

        runs.Select(r => r.ScheduledAt).Should().Equal(Minute(10), Minute(20));
        runs[0].Phase.Should().Be("Succeeded", "the buffered instant started only after the previous run ended");
    }

    [Fact]
    public async Task Cancel_previous_aborts_the_running_run_and_starts_the_new_one()
    {
        await FirstRunHeldOpen("cancelPrevious");

        await StepTo(20, minute => minute == 20 ? WaitForRun("held", Minute(20)) : Task.CompletedTask);
        await WaitForPhase("held", Minute(10), "Aborted");
        OpenGate();
        await WaitForPhase("held", Minute(20), "Succeeded");

        (await Instants("held")).Should().Equal(Minute(10), Minute(20));
        (await LaunchPlan("held"))["recentFires"]!.AsArray().Should().HaveCount(2);
    }
}
