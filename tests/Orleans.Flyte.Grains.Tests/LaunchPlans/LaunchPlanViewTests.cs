using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.LaunchPlans;

namespace Orleans.Flyte.Grains.Tests.LaunchPlans;

/// <summary>The view is a function of state, specs and a moment: what an as-of audit rebuilds is what the grain showed then.</summary>
public sealed class LaunchPlanViewTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    private const string Spec = """{"name":"nightly","schedule":{"catchUp":"latest","cron":"0 * * * *","overlap":"allow","timezone":"UTC"},"version":"v1","workflow":"w@v1"}""";

    [Fact]
    public void A_state_folded_from_stored_events_shows_the_next_fires_as_of_the_moment_given()
    {
        var state = Fold(
            (0, new LaunchPlanVersionRegistered("lab", "development", "nightly", "v1", Spec, "h", "w@v1", "{}",
                new ExecutionPlan("w", "v1", false, null, [], new Dictionary<string, string>()))),
            (5, new LaunchPlanActivated("v1", null)),
            (60, new LaunchPlanFired("v1", T0.AddHours(1), "run-1", false, null)));

        var asOf = LaunchPlanViews.Of("lab", "development", "nightly", state, v => StoredSpec.LaunchPlan(v.Spec).Schedule, T0.AddMinutes(90));

        asOf.NextFires.Should().Equal(Enumerable.Range(2, LaunchPlanViews.ShownNextFires).Select(h => T0.AddHours(h)));
        asOf.ActiveVersion.Should().Be("v1");
        asOf.ScheduledThrough.Should().Be(T0.AddHours(1));
        asOf.Fired.Should().Be(1);
        asOf.Versions.Single().ChangedBy.Should().Be("alice");
        asOf.RecentFires.Should().ContainSingle().Which.ExecutionId.Should().Be("run-1");
    }

    [Fact]
    public void A_paused_schedule_shows_no_next_fires()
    {
        var state = Fold(
            (0, new LaunchPlanVersionRegistered("lab", "development", "nightly", "v1", Spec, "h", "w@v1", "{}",
                new ExecutionPlan("w", "v1", false, null, [], new Dictionary<string, string>()))),
            (5, new LaunchPlanActivated("v1", null)),
            (6, new LaunchPlanPaused("v1")));

        var view = LaunchPlanViews.Of("lab", "development", "nightly", state, v => StoredSpec.LaunchPlan(v.Spec).Schedule, T0.AddMinutes(10));

        view.Paused.Should().BeTrue();
        view.NextFires.Should().BeEmpty();
    }

    private static LaunchPlanState Fold(params (int Minute, LaunchPlanEvent Event)[] events)
    {
        var state = new LaunchPlanState();
        foreach (var (minute, e) in events)
        {
            state.Apply(e with { Meta = new EventMetadata(T0.AddMinutes(minute), "alice", null, null) });
        }

        return state;
    }
}
