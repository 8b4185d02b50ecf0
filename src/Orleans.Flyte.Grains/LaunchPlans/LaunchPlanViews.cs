using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Domain.LaunchPlans;

namespace Orleans.Flyte.Grains.LaunchPlans;

/// <summary>
/// The view of a launch plan, a pure function of its state, its versions' schedules and a moment: the live grain passes
/// its clock's now; an as-of audit passes the instant it rebuilt the state for, and gets the view the grain gave then.
/// </summary>
public static class LaunchPlanViews
{
    /// <summary>How many upcoming fire times a view shows.</summary>
    public const int ShownNextFires = 5;

    /// <param name="scheduleOf">A version's parsed schedule (null when it has none), e.g.
    /// <c>v => StoredSpec.LaunchPlan(v.Spec).Schedule</c>.</param>
    /// <param name="now">The moment the next fire times are computed from.</param>
    public static LaunchPlanView Of(
        string project, string domain, string name, LaunchPlanState state, Func<LaunchPlanVersionState, ScheduleSpec?> scheduleOf, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var next = LaunchPlanSchedule.NextFires(state, LaunchPlanSchedule.Firing(state, scheduleOf), now, ShownNextFires);
        return new LaunchPlanView(project, domain, name, state.ActiveVersion, state.Paused, state.Cursor, state.Buffered,
            state.Fired, state.Skipped, state.Missed, next,
            [.. state.Versions.Select(v => new LaunchPlanVersionView(v.Version, v.Status, v.Workflow, v.Spec, v.ContentHash, v.RegisteredAt, v.RegisteredBy,
                v.ChangedAt, v.ChangedBy, v.ChangeReason))],
            state.RecentFires, state.Triggered, state.Backfilled, state.RecentRuns);
    }
}
