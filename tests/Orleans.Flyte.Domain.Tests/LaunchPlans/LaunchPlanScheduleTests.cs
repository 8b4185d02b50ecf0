using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.LaunchPlans;
using static Orleans.Flyte.Domain.Tests.LaunchPlans.LaunchPlanHistory;

namespace Orleans.Flyte.Domain.Tests.LaunchPlans;

/// <summary>What a wake-up records, decided from the state and the clock alone (no silo, no timers).</summary>
public sealed class LaunchPlanScheduleTests
{
    private static readonly ScheduleSpec EveryTen = Schedule("cron: \"*/10 * * * *\"");

    private static Decision<LaunchPlanEvent, ScheduleStep> Decide(LaunchPlanState state, ScheduleSpec schedule, int minute, PreviousRun? previous = null) =>
        LaunchPlanSchedule.Decide(state, LaunchPlanSchedule.Firing(state, _ => schedule), Minute(minute), Threshold, previous, RunId);

    private static PreviousRun StillRunning(string id) => new(id, Running: true);

    [Fact]
    public void An_on_time_instant_fires_with_the_execution_id_derived_from_it_and_the_next_wake_is_the_next_instant()
    {
        var decision = Decide(ActiveSince(), EveryTen, 10);

        decision.Events.Should().Equal(new LaunchPlanFired("v1", Minute(10), "v1-10", Late: false, Cancelled: null));
        decision.Result.Fires.Cast<LaunchPlanEvent>().Should().Equal(decision.Events, "the fires are the events that start runs");
        decision.Result.Firing.Should().BeTrue();
        decision.Result.WakeAt.Should().Be(Minute(20));
    }

    [Fact]
    public void Instants_before_the_activation_never_fire()
    {
        var decision = Decide(ActiveSince(activatedAt: 15), EveryTen, 20);

        decision.Events.OfType<LaunchPlanFired>().Select(f => f.ScheduledAt).Should().Equal(Minute(20));
        decision.Events.OfType<LaunchPlanFiresMissed>().Should().BeEmpty("minute 10 was before the schedule started, not missed");
    }

    [Fact]
    public void Between_instants_a_wake_up_records_nothing_and_only_says_when_to_wake()
    {
        var decision = Decide(FiredAt10(), EveryTen, 14);

        decision.RecordsNothing.Should().BeTrue();
        decision.Result.Should().BeEquivalentTo(new ScheduleStep(true, [], Minute(20)));
    }

    [Theory]
    [InlineData("never activated")]
    [InlineData("paused")]
    [InlineData("deactivated")]
    [InlineData("archived")]
    public void A_paused_or_inactive_plan_fires_nothing_and_says_it_is_stopped(string why)
    {
        var state = why switch
        {
            "never activated" => new LaunchPlanState().Then(0, Registered("v1")),
            "paused" => ActiveSince().Then(5, new LaunchPlanPaused("v1")),
            "deactivated" => ActiveSince().Then(5, new LaunchPlanDeactivated("v1")),
            _ => ActiveSince().Then(5, new LaunchPlanArchived("v1", WasActive: true)),
        };

        var decision = Decide(state, EveryTen, 60, StillRunning("v1-10"));

        decision.RecordsNothing.Should().BeTrue(why);
        decision.Result.Should().Be(ScheduleStep.Stopped);
        LaunchPlanSchedule.RunToCheck(state, LaunchPlanSchedule.Firing(state, _ => EveryTen), Minute(60)).Should().BeNull("nothing is decided, so nothing needs asking");
    }

    [Fact]
    public void A_version_without_a_schedule_fires_nothing()
    {
        var decision = LaunchPlanSchedule.Decide(ActiveSince(), LaunchPlanSchedule.Firing(ActiveSince(), _ => null), Minute(60), Threshold, null, RunId);

        decision.Result.Should().Be(ScheduleStep.Stopped);
    }

    [Fact]
    public void Allow_fires_even_while_the_previous_run_is_still_going()
    {
        var decision = Decide(FiredAt10(), EveryTen, 20, StillRunning("v1-10"));

        decision.Events.Should().Equal(new LaunchPlanFired("v1", Minute(20), "v1-20", false, null));
    }

    [Fact]
    public void Skip_records_the_instant_as_skipped_while_the_previous_run_is_still_going()
    {
        var decision = Decide(FiredAt10(), Schedule("cron: \"*/10 * * * *\", overlap: skip"), 20, StillRunning("v1-10"));

        decision.Events.Should().Equal(new LaunchPlanFireSkipped("v1", Minute(20), "execution v1-10 was still running"));
        decision.Result.Fires.Should().BeEmpty();
        decision.Result.WakeAt.Should().Be(Minute(30));
    }

    [Fact]
    public void Buffer_keeps_one_instant_waiting_and_skips_the_next_while_the_previous_run_goes_on()
    {
        var buffer = Schedule("cron: \"*/10 * * * *\", overlap: buffer");
        var state = FiredAt10();

        var at20 = Decide(state, buffer, 20, StillRunning("v1-10"));
        state.Then(20, at20);
        var at30 = Decide(state, buffer, 30, StillRunning("v1-10"));

        at20.Events.Should().Equal(new LaunchPlanFireBuffered("v1", Minute(20), "v1-10"));
        state.Buffered.Should().Be(Minute(20));
        at30.Events.Should().Equal(new LaunchPlanFireSkipped("v1", Minute(30),
            $"execution v1-10 was still running and instant {Minute(20):O} was already waiting"));
    }

    [Fact]
    public void A_buffered_instant_fires_once_the_run_it_waits_for_has_ended_and_then_counts_as_running()
    {
        var buffer = Schedule("cron: \"*/10 * * * *\", overlap: buffer");
        var state = FiredAt10().Then(20, new LaunchPlanFireBuffered("v1", Minute(20), "v1-10"));

        var stillGoing = Decide(state, buffer, 25, StillRunning("v1-10"));
        var ended = Decide(state, buffer, 30, new PreviousRun("v1-10", Running: false));

        stillGoing.RecordsNothing.Should().BeTrue("the buffered instant waits while its run goes on");
        ended.Events.Should().Equal(
            new LaunchPlanFired("v1", Minute(20), "v1-20", Late: false, Cancelled: null),
            new LaunchPlanFireBuffered("v1", Minute(30), "v1-20"));
        state.Then(30, ended).Buffered.Should().Be(Minute(30), "the released run was only just created, so instant 30 waits for it");
    }

    [Fact]
    public void Cancel_previous_fires_and_names_the_run_it_cancels()
    {
        var decision = Decide(FiredAt10(), Schedule("cron: \"*/10 * * * *\", overlap: cancelPrevious"), 20, StillRunning("v1-10"));

        decision.Events.Should().Equal(new LaunchPlanFired("v1", Minute(20), "v1-20", false, Cancelled: "v1-10"));
        decision.Result.Fires.Single().Cancelled.Should().Be("v1-10");
    }

    [Theory]
    [InlineData("skip")]
    [InlineData("buffer")]
    [InlineData("cancelPrevious")]
    public void Every_overlap_policy_fires_normally_when_the_previous_run_has_ended(string policy)
    {
        var decision = Decide(FiredAt10(), Schedule($"cron: \"*/10 * * * *\", overlap: {policy}"), 20, new PreviousRun("v1-10", Running: false));

        decision.Events.Should().Equal(new LaunchPlanFired("v1", Minute(20), "v1-20", false, null));
    }

    [Fact]
    public void What_the_grain_learned_about_another_run_than_the_last_fire_counts_as_not_running()
    {
        var decision = Decide(FiredAt10(), Schedule("cron: \"*/10 * * * *\", overlap: skip"), 20, StillRunning("some-older-run"));

        decision.Events.Should().Equal(new LaunchPlanFired("v1", Minute(20), "v1-20", false, null));
    }

    [Theory]
    [InlineData("none", 6, new int[0])]
    [InlineData("latest", 5, new[] { 70 })]
    [InlineData("all, maxCatchUp: 3", 3, new[] { 50, 60, 70 })]
    [InlineData("all", 0, new[] { 20, 30, 40, 50, 60, 70 })]
    public void After_downtime_the_catch_up_policy_keeps_the_latest_late_instants_and_records_the_rest_as_missed(string policy, int missed, int[] caughtUp)
    {
        var schedule = Schedule($"cron: \"*/10 * * * *\", catchUp: {policy}");

        var decision = Decide(FiredAt10(), schedule, 75);

        decision.Events.OfType<LaunchPlanFired>().Should().Equal(caughtUp.Select(m => new LaunchPlanFired("v1", Minute(m), RunId("v1", Minute(m)), Late: true, null)));
        LaunchPlanFiresMissed[] recorded = missed == 0 ? [] : [new("v1", missed, Minute(20), Minute(20 + (10 * (missed - 1))), schedule.CatchUp)];
        decision.Events.OfType<LaunchPlanFiresMissed>().Should().Equal(recorded);
        var after = FiredAt10().Then(75, decision);
        after.Cursor.Should().Be(Minute(70), "every instant up to now is decided, fired or missed");
        after.Missed.Should().Be(missed);
        decision.Result.WakeAt.Should().Be(Minute(80));
    }

    [Fact]
    public void Catching_up_under_skip_fires_the_first_late_instant_and_skips_the_rest_behind_it()
    {
        var schedule = Schedule("cron: \"*/10 * * * *\", catchUp: all, overlap: skip");

        var decision = Decide(FiredAt10(), schedule, 45, new PreviousRun("v1-10", Running: false));

        decision.Events.Should().Equal(
            new LaunchPlanFired("v1", Minute(20), "v1-20", Late: true, null),
            new LaunchPlanFireSkipped("v1", Minute(30), "execution v1-20 was still running"),
            new LaunchPlanFireSkipped("v1", Minute(40), "execution v1-20 was still running"));
    }

    [Fact]
    public void A_duplicate_wake_up_at_the_same_moment_fires_nothing_twice()
    {
        var state = FiredAt10();
        var first = Decide(state, EveryTen, 30);
        state.Then(30, first);

        var duplicate = Decide(state, EveryTen, 30);
        var clockBehind = Decide(state, EveryTen, 25);

        first.Result.Fires.Select(f => f.ScheduledAt).Should().Equal(Minute(20), Minute(30));
        duplicate.RecordsNothing.Should().BeTrue();
        duplicate.Result.WakeAt.Should().Be(first.Result.WakeAt);
        clockBehind.RecordsNothing.Should().BeTrue("a silo whose clock lags sees nothing due that was not decided");
    }

    [Fact]
    public void A_lost_race_is_decided_again_on_the_fresh_state_and_the_instant_is_not_decided_twice()
    {
        var stale = FiredAt10();
        var fresh = FiredAt10();
        var ours = Decide(stale, EveryTen, 20);

        // The other activation decided the same instant first and won the write; the grain re-reads the stream.
        fresh.Then(20, Decide(fresh, EveryTen, 20));
        var again = Decide(fresh, EveryTen, 20);

        ours.Events.Should().ContainSingle("what the losing write held");
        again.RecordsNothing.Should().BeTrue("the fresh stream already holds instant 20");
        fresh.Fired.Should().Be(2);
    }

    [Fact]
    public void A_lost_race_against_a_pause_fires_nothing()
    {
        var fresh = FiredAt10().Then(19, new LaunchPlanPaused("v1"));

        var again = Decide(fresh, EveryTen, 20);

        again.Result.Should().Be(ScheduleStep.Stopped);
    }

    [Fact]
    public void The_previous_run_is_asked_about_only_when_the_decision_depends_on_it()
    {
        var skip = Schedule("cron: \"*/10 * * * *\", overlap: skip");
        var buffered = FiredAt10().Then(20, new LaunchPlanFireBuffered("v1", Minute(20), "v1-10"));

        LaunchPlanSchedule.RunToCheck(FiredAt10(), EveryTen, Minute(20)).Should().BeNull("allow fires whatever the previous run does");
        LaunchPlanSchedule.RunToCheck(FiredAt10(), skip, Minute(15)).Should().BeNull("nothing is due");
        LaunchPlanSchedule.RunToCheck(FiredAt10(), skip, Minute(20)).Should().Be("v1-10");
        LaunchPlanSchedule.RunToCheck(ActiveSince(), skip, Minute(20)).Should().BeNull("there is no previous run");
        LaunchPlanSchedule.RunToCheck(buffered, Schedule("cron: \"*/10 * * * *\", overlap: buffer"), Minute(25)).Should().Be("v1-10", "the buffered instant waits for it");
    }

    [Fact]
    public void Next_fires_are_computed_from_the_moment_given_so_a_past_state_shows_its_own_next_fires()
    {
        var state = FiredAt10();

        LaunchPlanSchedule.NextFires(state, EveryTen, Minute(12), 3).Should().Equal(Minute(20), Minute(30), Minute(40));
        LaunchPlanSchedule.NextFires(state, EveryTen, Minute(31), 2).Should().Equal(Minute(40), Minute(50));
        LaunchPlanSchedule.NextFires(state, null, Minute(12), 3).Should().BeEmpty();
    }
}
