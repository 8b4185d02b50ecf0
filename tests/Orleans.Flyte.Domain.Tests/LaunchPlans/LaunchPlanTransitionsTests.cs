using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;
using static Orleans.Flyte.Domain.Tests.LaunchPlans.LaunchPlanHistory;

namespace Orleans.Flyte.Domain.Tests.LaunchPlans;

/// <summary>Each lifecycle transition is one event, "unchanged", "not found" or "refused with a reason".</summary>
public sealed class LaunchPlanTransitionsTests
{
    private static readonly string[] s_both = ["v1", "v2"];

    private static LaunchPlanState TwoVersions() => new LaunchPlanState().Then(0, Registered("v1"), Registered("v2"));

    [Fact]
    public void Activating_a_version_deactivates_the_active_one_in_the_same_event()
    {
        var decision = LaunchPlanTransitions.Activate(ActiveSince(), "v2");

        decision.Events.Should().Equal(new LaunchPlanActivated("v2", Deactivated: "v1"));
        decision.Result.Should().Be(TransitionVerdict.Changed);
        var after = ActiveSince().Then(5, decision);
        after.ActiveVersion.Should().Be("v2");
        after.Find("v1")!.Status.Should().Be(LaunchPlanStatus.Inactive);
    }

    [Fact]
    public void Activating_ends_a_pause_and_restarts_the_schedule_from_the_activation()
    {
        var paused = ActiveSince().Then(5, new LaunchPlanPaused("v1"));

        var after = paused.Then(7, LaunchPlanTransitions.Activate(paused, "v2"));

        after.Paused.Should().BeFalse();
        after.Cursor.Should().Be(Minute(7));
    }

    [Fact]
    public void Activating_the_active_version_changes_nothing_and_an_archived_one_is_refused_with_the_way_out()
    {
        var archived = TwoVersions().Then(1, new LaunchPlanArchived("v2", WasActive: false));

        LaunchPlanTransitions.Activate(ActiveSince(), "v1").Should().BeEquivalentTo(new { Events = Array.Empty<LaunchPlanEvent>(), Result = TransitionVerdict.Unchanged });
        var refused = LaunchPlanTransitions.Activate(archived, "v2");

        refused.RecordsNothing.Should().BeTrue();
        refused.Result.Should().Be(TransitionVerdict.Refused("Version 'v2' is archived; restore it before activating it."));
    }

    [Fact]
    public void Activating_a_version_whose_gpus_no_node_has_is_invalid_records_nothing_and_points_at_the_node()
    {
        SpecError[] unservable = [new("/workflow/nodes/train/resources/gpu", "no node has mig-7g.40gb")];

        var decision = LaunchPlanTransitions.Activate(ActiveSince(), "v2", unservable);

        decision.RecordsNothing.Should().BeTrue();
        decision.Result.Kind.Should().Be(TransitionKind.Invalid);
        decision.Result.Message.Should().Be(LaunchPlanTransitions.UnservableGpusMessage);
        decision.Result.Errors.Should().Equal(unservable);
        LaunchPlanTransitions.Activate(ActiveSince(), "v1", unservable).Result.Should().Be(TransitionVerdict.Unchanged, "nothing would change, so nothing is refused");
    }

    [Fact]
    public void A_version_that_does_not_exist_is_not_found_by_every_transition()
    {
        var state = TwoVersions();

        new[]
        {
            LaunchPlanTransitions.Activate(state, "v9"),
            LaunchPlanTransitions.Deactivate(state, "v9"),
            LaunchPlanTransitions.Archive(state, "v9"),
            LaunchPlanTransitions.Restore(state, "v9"),
            LaunchPlanTransitions.Pause(new LaunchPlanState()),
            LaunchPlanTransitions.Resume(new LaunchPlanState()),
        }.Should().AllSatisfy(d =>
        {
            d.RecordsNothing.Should().BeTrue();
            d.Result.Should().Be(TransitionVerdict.NotFound);
        });
    }

    [Fact]
    public void Only_the_active_version_can_be_deactivated()
    {
        LaunchPlanTransitions.Deactivate(ActiveSince(), "v1").Events.Should().Equal(new LaunchPlanDeactivated("v1"));
        LaunchPlanTransitions.Deactivate(ActiveSince(), "v2").Result.Should().Be(TransitionVerdict.Unchanged);
    }

    [Fact]
    public void Archiving_says_whether_it_stopped_the_schedule_and_archiving_twice_changes_nothing()
    {
        var active = LaunchPlanTransitions.Archive(ActiveSince(), "v1");
        var inactive = LaunchPlanTransitions.Archive(ActiveSince(), "v2");
        var twice = LaunchPlanTransitions.Archive(ActiveSince().Then(3, inactive), "v2");

        active.Events.Should().Equal(new LaunchPlanArchived("v1", WasActive: true));
        ActiveSince().Then(3, active).ActiveVersion.Should().BeNull();
        inactive.Events.Should().Equal(new LaunchPlanArchived("v2", WasActive: false));
        twice.Result.Should().Be(TransitionVerdict.Unchanged);
    }

    [Fact]
    public void Only_an_archived_version_can_be_restored_and_it_comes_back_inactive()
    {
        var archived = TwoVersions().Then(1, new LaunchPlanArchived("v1", WasActive: false));

        var restore = LaunchPlanTransitions.Restore(archived, "v1");

        restore.Events.Should().Equal(new LaunchPlanRestored("v1"));
        archived.Then(2, restore).Find("v1")!.Status.Should().Be(LaunchPlanStatus.Inactive);
        LaunchPlanTransitions.Restore(TwoVersions(), "v1").Result.Should().Be(TransitionVerdict.Unchanged);
    }

    [Fact]
    public void Pause_and_resume_need_an_active_version_and_each_changes_only_once()
    {
        var active = ActiveSince();
        var pause = LaunchPlanTransitions.Pause(active);
        var paused = ActiveSince().Then(5, pause);
        var resume = LaunchPlanTransitions.Resume(paused);

        LaunchPlanTransitions.Pause(TwoVersions()).Result.Should().Be(TransitionVerdict.Refused("No version is active, so there is no schedule to pause; activate a version first (POST .../versions/v2/activate)."));
        LaunchPlanTransitions.Resume(TwoVersions()).Result.Should().Be(TransitionVerdict.Refused("No version is active, so there is no schedule to resume; activate a version first (POST .../versions/v2/activate)."));
        pause.Events.Should().Equal(new LaunchPlanPaused("v1"));
        LaunchPlanTransitions.Pause(paused).Result.Should().Be(TransitionVerdict.Unchanged);
        LaunchPlanTransitions.Resume(active).Result.Should().Be(TransitionVerdict.Unchanged);
        resume.Events.Should().Equal(new LaunchPlanResumed("v1"));
        paused.Then(9, resume).Cursor.Should().Be(Minute(9), "instants during the pause are not caught up");
    }

    [Fact]
    public void Archiving_the_whole_plan_is_one_event_over_every_version_that_stops_the_schedule_and_restoring_it_is_one_event_too()
    {
        var state = ActiveSince();

        var archive = LaunchPlanTransitions.ArchivePlan(state);

        archive.Events.Should().ContainSingle().Which.Should().BeOfType<LaunchPlanArchivedAll>()
            .Which.Should().Match<LaunchPlanArchivedAll>(e => e.WasActive == "v1" && e.Versions.SequenceEqual(s_both));
        var archived = state.Then(5, archive);
        archived.ActiveVersion.Should().BeNull();
        archived.Cursor.Should().BeNull("no schedule is left to fire");
        archived.Versions.Should().OnlyContain(v => v.Status == LaunchPlanStatus.Archived);
        LaunchPlanTransitions.ArchivePlan(archived).Events.Should().BeEmpty();

        var restore = LaunchPlanTransitions.RestorePlan(archived);
        restore.Events.Should().ContainSingle().Which.Should().BeOfType<LaunchPlanRestoredAll>();
        archived.Then(6, restore).Versions.Should().OnlyContain(v => v.Status == LaunchPlanStatus.Inactive);
    }

    [Fact]
    public void Deactivating_the_whole_plan_deactivates_whichever_version_is_active()
    {
        LaunchPlanTransitions.DeactivatePlan(ActiveSince()).Events.Should().Equal(new LaunchPlanDeactivated("v1"));
        LaunchPlanTransitions.DeactivatePlan(TwoVersions()).Result.Should().Be(TransitionVerdict.Unchanged);
        LaunchPlanTransitions.DeactivatePlan(new LaunchPlanState()).Result.Should().Be(TransitionVerdict.NotFound);
    }
}
