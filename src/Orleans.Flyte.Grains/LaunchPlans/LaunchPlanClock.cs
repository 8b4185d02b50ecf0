namespace Orleans.Flyte.Grains.LaunchPlans;

/// <summary>
/// The clock schedules are computed and stamped with: the platform's <see cref="TimeProvider"/> unless replaced. Tests replace
/// this one (not the platform's) with a test clock: Orleans itself runs its placement timeouts, grain timers and reminders on
/// the injected <see cref="TimeProvider"/>, and a test clock that jumps hours at once breaks them.
/// </summary>
public sealed class LaunchPlanClock(TimeProvider time)
{
    public TimeProvider Time { get; } = time;
}
