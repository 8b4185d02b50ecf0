using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.LaunchPlans;

/// <summary>What the grain learned, before deciding, about the run <see cref="LaunchPlanSchedule.RunToCheck"/> named.</summary>
public sealed record PreviousRun(string ExecutionId, bool Running);

/// <param name="Firing">The schedule should be firing. When false nothing fires, and the grain stops its timers and reminder.</param>
/// <param name="Fires">The fires among the decision's events, in order. Once they are stored the grain aborts each one's
/// <see cref="LaunchPlanFired.Cancelled"/> run (overlap cancelPrevious) and creates its execution.</param>
/// <param name="WakeAt">The first instant after everything decided: when the grain should wake up next.</param>
public sealed record ScheduleStep(bool Firing, IReadOnlyList<LaunchPlanFired> Fires, DateTimeOffset? WakeAt)
{
    public static readonly ScheduleStep Stopped = new(false, [], null);
}

/// <summary>
/// What a wake-up of a launch plan records, decided from its state and the clock alone (never from a timer's memory),
/// so a late, duplicate or spurious wake-up fires nothing twice and nothing early, and a deactivated, archived or paused
/// plan fires nothing. The instants come from <see cref="ScheduleSpec.Decide"/>: the due ones after the cursor, late ones
/// kept or recorded as missed by the catch-up policy. Each kept instant then meets the overlap policy against the last
/// scheduled run. Pure: the grain learns about that run first (<see cref="RunToCheck"/>), records the decision in one
/// conditional write, and only then aborts and creates executions.
/// </summary>
public static class LaunchPlanSchedule
{
    /// <summary>The schedule that should be firing in <paramref name="state"/>: the active version's, unless paused; null
    /// when nothing should fire.</summary>
    public static ScheduleSpec? Firing(LaunchPlanState state, Func<LaunchPlanVersionState, ScheduleSpec?> scheduleOf)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(scheduleOf);
        return state.Active is { } active && !state.Paused ? scheduleOf(active) : null;
    }

    /// <summary>The first instant after the last one decided (or after <paramref name="now"/> when none was).</summary>
    public static DateTimeOffset? NextWake(LaunchPlanState state, ScheduleSpec firing, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(firing);
        return firing.Next(state.Cursor ?? now);
    }

    /// <summary>The next <paramref name="count"/> instants that will fire, as seen at <paramref name="now"/>.</summary>
    public static IReadOnlyList<DateTimeOffset> NextFires(LaunchPlanState state, ScheduleSpec? firing, DateTimeOffset now, int count)
    {
        ArgumentNullException.ThrowIfNull(state);
        return firing is null ? [] : firing.NextFires(Max(state.Cursor ?? now, now), count);
    }

    /// <summary>
    /// The scheduled run whose phase <see cref="Decide"/> needs at <paramref name="now"/>: the last fire, when an instant is
    /// buffered (it waits for that run to end) or when an instant is due under an overlap policy other than allow. Null
    /// when the decision does not depend on it, so most wake-ups ask no other grain.
    /// </summary>
    public static string? RunToCheck(LaunchPlanState state, ScheduleSpec? firing, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (firing is null || state.Active is null || state.Paused || state.LastFire is not { } last)
        {
            return null;
        }

        if (state.Buffered is not null)
        {
            return last.ExecutionId;
        }

        return firing.Overlap != OverlapPolicy.Allow && firing.Next(state.Cursor ?? now) is { } next && next <= now ? last.ExecutionId : null;
    }

    /// <summary>
    /// Decides everything due at <paramref name="now"/>: a buffered instant whose run ended fires first; late instants the
    /// catch-up policy drops become one <see cref="LaunchPlanFiresMissed"/>; each kept instant fires, or (when the previous
    /// run is still going) is skipped, buffered, or fires cancelling that run, by the overlap policy. A run fired in this
    /// decision counts as still going for the instants after it: it was only just created.
    /// </summary>
    /// <param name="firing">The active version's parsed schedule (<see cref="Firing"/>); null: nothing fires.</param>
    /// <param name="misfireThreshold">Instants older than this are late, and subject to the catch-up policy.</param>
    /// <param name="previous">What the grain learned about the run <see cref="RunToCheck"/> named; no answer, or one about
    /// another run than the last fire, counts as not running.</param>
    /// <param name="executionIdFor">The execution id of an instant of a version (deterministic, so repeats land on one execution).</param>
    public static Decision<LaunchPlanEvent, ScheduleStep> Decide(
        LaunchPlanState state,
        ScheduleSpec? firing,
        DateTimeOffset now,
        TimeSpan misfireThreshold,
        PreviousRun? previous,
        Func<string, DateTimeOffset, string> executionIdFor)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(executionIdFor);
        if (firing is null || state.Active is not { } active || state.Paused)
        {
            return Decision<LaunchPlanEvent, ScheduleStep>.Unchanged(ScheduleStep.Stopped);
        }

        var version = active.Version;
        var events = new List<LaunchPlanEvent>();
        var fires = new List<LaunchPlanFired>();
        var running = previous is { Running: true } p && string.Equals(p.ExecutionId, state.LastFire?.ExecutionId, StringComparison.Ordinal)
            ? p.ExecutionId
            : null;
        var buffered = state.Buffered;

        void Fire(DateTimeOffset at, bool late, string? cancelled)
        {
            var fired = new LaunchPlanFired(version, at, executionIdFor(version, at), late, cancelled);
            events.Add(fired);
            fires.Add(fired);
            running = fired.ExecutionId;
        }

        if (buffered is { } waiting && running is null)
        {
            Fire(waiting, late: false, cancelled: null);
            buffered = null;
        }

        var cursor = state.Cursor ?? now;
        var due = firing.Decide(cursor, now, misfireThreshold);
        if (due is { Missed: > 0, FirstMissed: { } first, LastMissed: { } last })
        {
            events.Add(new LaunchPlanFiresMissed(version, due.Missed, first, last, firing.CatchUp));
            cursor = Max(cursor, last);
        }

        foreach (var instant in due.Fire)
        {
            cursor = Max(cursor, instant.At);
            if (firing.Overlap == OverlapPolicy.Allow || running is null)
            {
                Fire(instant.At, instant.Late, cancelled: null);
                continue;
            }

            switch (firing.Overlap)
            {
                case OverlapPolicy.Skip:
                    events.Add(new LaunchPlanFireSkipped(version, instant.At, $"execution {running} was still running"));
                    break;
                case OverlapPolicy.Buffer when buffered is null:
                    events.Add(new LaunchPlanFireBuffered(version, instant.At, running));
                    buffered = instant.At;
                    break;
                case OverlapPolicy.Buffer:
                    events.Add(new LaunchPlanFireSkipped(version, instant.At,
                        $"execution {running} was still running and instant {buffered:O} was already waiting"));
                    break;
                default:
                    Fire(instant.At, instant.Late, cancelled: running);
                    break;
            }
        }

        var step = new ScheduleStep(true, fires, firing.Next(Max(cursor, now)));
        return new Decision<LaunchPlanEvent, ScheduleStep>(events, step);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
