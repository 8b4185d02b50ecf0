using Microsoft.Extensions.Logging;
using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;

namespace Orleans.Flyte.Grains.LaunchPlans;

/// <summary>
/// The schedule's wake-ups. A timer at the next instant (on the schedule's clock), the durable reminder, a keep-alive poll
/// and activation all run <see cref="Tick"/>, which records what <see cref="LaunchPlanSchedule.Decide"/> says is due and
/// then starts the runs it fired. Nothing here decides what fires; timers only decide when to ask.
/// </summary>
public sealed partial class LaunchPlanGrain
{
    private const string ScheduleReminder = "schedule";

    private ITimer? _fireTimer;
    private IGrainTimer? _pollTimer;
    private bool _recovered;

    public Task ReceiveReminder(string reminderName, TickStatus status) => Tick();

    public async Task Tick()
    {
        // Fires are the scheduler's own acts, whoever's call woke the grain, on behalf of who activated the version.
        RequestContext.Clear();
        CallContext.Set(SchedulerPrincipal, null, State.Active?.ActivatedBy);
        if (!_recovered)
        {
            await RecoverFires();
        }

        var step = await DecideAndRecord(
            LearnPreviousRun,
            (state, learned) => LaunchPlanSchedule.Decide(state, Firing(state), learned.Now, Options.MisfireThreshold, learned.Previous, ScheduledExecutionId));
        if (!step.Firing)
        {
            StopTimers();
            await Unremind();
            return;
        }

        EnsurePollTimer();
        foreach (var fire in step.Fires)
        {
            await StartRun(fire);
        }

        if (step.WakeAt is { } next)
        {
            ArmFireTimer(next);
        }
    }

    /// <summary>The clock reading the decision is taken at, and the phase of the run it depends on, if any.</summary>
    private async Task<(DateTimeOffset Now, PreviousRun? Previous)> LearnPreviousRun(LaunchPlanState state)
    {
        var now = Clock.GetUtcNow();
        if (LaunchPlanSchedule.RunToCheck(state, Firing(state), now) is not { } id)
        {
            return (now, null);
        }

        var view = await Execution(id).Get();
        return (now, new PreviousRun(id, view is not null && !view.Phase.IsTerminal()));
    }

    /// <summary>After a stored fire: aborts the run it cancels (overlap cancelPrevious), then creates its execution.</summary>
    private async Task StartRun(LaunchPlanFired fire)
    {
        if (fire.Cancelled is { } cancelled)
        {
            try
            {
                await Execution(cancelled).Abort($"cancelled by the next scheduled run {fire.ExecutionId} of launch plan {Key.Name} (overlap: cancelPrevious)");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning(ex, "Launch plan {LaunchPlan} could not abort the previous run {Execution}", this.GetPrimaryKeyString(), cancelled);
            }
        }

        if (State.Find(fire.Version) is { } version)
        {
            await CreateScheduled(version, fire.ScheduledAt, fire.ExecutionId);
        }
    }

    /// <summary>
    /// A crash between storing a fire and creating its execution leaves a fire without an execution: create it now,
    /// while its version is still the active schedule (a fire is never started after a deactivation or archive).
    /// </summary>
    private async Task RecoverFires()
    {
        _recovered = true;
        if (Firing(State) is null || State.Active is not { } active)
        {
            return;
        }

        foreach (var fire in State.RecentFires.Where(f => string.Equals(f.Version, active.Version, StringComparison.Ordinal)).ToList())
        {
            if (await Execution(fire.ExecutionId).Get() is null)
            {
                await CreateScheduled(active, fire.ScheduledAt, fire.ExecutionId);
            }
        }
    }

    /// <summary>After a stored transition: arm or disarm the timers and the reminder to match the new state.</summary>
    private async Task AfterTransition()
    {
        if (Firing(State) is { } schedule)
        {
            EnsurePollTimer();
            if (LaunchPlanSchedule.NextWake(State, schedule, Clock.GetUtcNow()) is { } next)
            {
                ArmFireTimer(next);
            }
        }
        else
        {
            StopTimers();
            await Unremind();
        }
    }

    private void ArmFireTimer(DateTimeOffset at)
    {
        _fireTimer?.Dispose();
        var due = at - Clock.GetUtcNow();
        due = due < TimeSpan.Zero ? TimeSpan.Zero : due > TimeSpan.FromHours(12) ? TimeSpan.FromHours(12) : due;

        // The timer comes from the injected clock, so a test clock fires it when advanced. Its callback runs outside
        // the grain's scheduler, so it only sends the grain a message; no caller's request context flows into it.
        using (ExecutionContext.SuppressFlow())
        {
            _fireTimer = Clock.CreateTimer(static self => ((LaunchPlanGrain)self!).Poke(), this, due, Timeout.InfiniteTimeSpan);
        }
    }

    private void Poke()
    {
        var self = _self;
        if (self is not null)
        {
            _ = PokeAsync(self);
        }
    }

    private async Task PokeAsync(ILaunchPlanGrain self)
    {
        try
        {
            await self.Tick();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The poll timer and the reminder wake the grain again.
            log.LogWarning(ex, "Launch plan {LaunchPlan}: a timed tick failed", this.GetPrimaryKeyString());
        }
    }

    private void EnsurePollTimer() =>
        _pollTimer ??= this.RegisterGrainTimer(static (grain, _) => grain.Tick(), this,
            new GrainTimerCreationOptions { DueTime = Options.PollInterval, Period = Options.PollInterval, KeepAlive = true });

    private void StopTimers()
    {
        _fireTimer?.Dispose();
        _fireTimer = null;
        _pollTimer?.Dispose();
        _pollTimer = null;
    }

    private Task<IGrainReminder> Remind() => this.RegisterOrUpdateReminder(ScheduleReminder, Options.ReminderPeriod, Options.ReminderPeriod);

    private async Task Unremind()
    {
        try
        {
            if (await this.GetReminder(ScheduleReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Harmless: the reminder's next tick finds nothing scheduled and tries again.
            log.LogWarning(ex, "Launch plan {LaunchPlan}: removing the schedule reminder failed", this.GetPrimaryKeyString());
        }
    }
}
