using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Flyte.Grains.LaunchPlans;

namespace Orleans.Flyte.Testing;

/// <summary>
/// The suite's one fake-time driver: schedule time that a test moves by hand, in whole steps from where it started, or a
/// little at a time while it waits for something that also needs real time. Only schedule time is fake
/// (<see cref="LaunchPlanClock"/>): Orleans runs its placement timeouts, grain timers and reminders on the platform's
/// <see cref="TimeProvider"/>, and a clock that jumps hours at once would break them.
/// </summary>
public sealed class TestClock(DateTimeOffset start)
{
    /// <summary>Where the clock started: <see cref="StepTo"/> lands on whole steps from here.</summary>
    public DateTimeOffset Start { get; } = start;

    public FakeTimeProvider Time { get; } = new(start);

    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>Makes this the schedule clock of the silo (or platform) whose services these are.</summary>
    public void DriveSchedules(IServiceCollection services) => services.AddSingleton(new LaunchPlanClock(Time));

    /// <summary>Jumps to <paramref name="at"/> (forward only, as a clock does).</summary>
    public void Set(DateTimeOffset at) => Time.SetUtcNow(at);

    /// <summary>
    /// Moves to <paramref name="until"/> one <paramref name="step"/> at a time, landing on whole steps from
    /// <see cref="Start"/> (so each scheduled instant on the way is "now" once), and lets <paramref name="atEach"/> act at
    /// each of them before moving on.
    /// </summary>
    public async Task StepTo(DateTimeOffset until, TimeSpan step, Func<DateTimeOffset, Task>? atEach = null)
    {
        for (var n = (long)((Now - Start) / step) + 1; Start + (n * step) <= until; n++)
        {
            var at = Start + (n * step);
            Set(at);
            if (atEach is not null)
            {
                await atEach(at);
            }
        }
    }

    /// <summary>
    /// Waits for <paramref name="condition"/> (<see cref="Eventually"/>), letting test time pass too, by
    /// <paramref name="step"/> per poll and at most <paramref name="maxAdvance"/> in all, as real time passes while a
    /// silo comes back or a run ends.
    /// </summary>
    public Task UntilAdvancing(Func<Task<bool>> condition, string what, TimeSpan step, TimeSpan maxAdvance, TimeSpan timeout)
    {
        var advanced = TimeSpan.Zero;
        return Eventually.Until(
            async () =>
            {
                if (await condition())
                {
                    return true;
                }

                if (advanced < maxAdvance)
                {
                    Time.Advance(step);
                    advanced += step;
                }

                return false;
            },
            holds => holds,
            what,
            timeout,
            describe: _ => $"not yet, after {advanced} of test time");
    }
}
