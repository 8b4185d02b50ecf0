using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Abstractions.Submissions;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Grains.LaunchPlans;

/// <summary>
/// Fires the active version's schedule exactly once per instant. Every wake-up (a timer at the next instant, the
/// durable reminder, a real-time poll, activation) runs <see cref="Tick"/>, which asks the clock what is due after the
/// last decided instant and decides each one with a conditional write: <see cref="LaunchPlanFired"/> (with the
/// execution id derived from the instant) is stored before the execution is created, and creating an execution with an
/// existing id is idempotent. A stale activation loses the write and re-decides on the fresh stream, so an instant is
/// never decided twice and never fires after a stored deactivation or archive.
/// </summary>
public sealed class LaunchPlanGrain(
    IEventStreamStore store,
    LaunchPlanClock clock,
    IExecutionSubmissions submissions,
    IOptions<LaunchPlanOptions> options,
    ILogger<LaunchPlanGrain> log)
    : EventSourcedGrain<LaunchPlanState, LaunchPlanEvent>(store, clock.Time), ILaunchPlanGrain, IRemindable
{
    /// <summary>The principal of fires: the scheduler acts on its own, not for whoever last called the grain.</summary>
    public const string SchedulerPrincipal = "system:scheduler";

    private const string ScheduleReminder = "schedule";
    private const string NoGpu = "The launch plan asks for GPUs no node has.";
    private const int ShownNextFires = 5;

    private readonly Dictionary<string, (LaunchPlanSpec Plan, WorkflowSpec Workflow)> _parsed = new(StringComparer.Ordinal);
    private ITimer? _fireTimer;
    private IGrainTimer? _pollTimer;
    private ILaunchPlanGrain? _self;
    private bool _recovered;

    private (string Project, string Domain, string Name) Key => DefinitionKey.Parse(this.GetPrimaryKeyString());

    protected override StreamAddress Stream =>
        new(StreamAddress.TenantOf(Key.Project, Key.Domain), $"launchplan/{this.GetPrimaryKeyString()}");

    private LaunchPlanOptions Options => options.Value;

    /// <summary>The schedule should be firing: an active version with a schedule, not paused.</summary>
    private bool Scheduled => State.Active is { } active && !State.Paused && Parsed(active).Plan.Schedule is not null;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _self = GrainFactory.GetGrain<ILaunchPlanGrain>(this.GetPrimaryKeyString());
        if (Scheduled)
        {
            // Reactivated (after a crash, a restart or idle collection): catch up at once, then keep the timers armed.
            this.RegisterGrainTimer(static (grain, _) => grain.Tick(), this,
                new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
        }

        return base.OnActivateAsync(cancellationToken);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _fireTimer?.Dispose();
        _pollTimer?.Dispose();
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    public async Task<LaunchPlanRegistration> Register(RegisterLaunchPlan command)
    {
        ArgumentNullException.ThrowIfNull(command);
        while (true)
        {
            if (State.Find(command.Version) is { } existing)
            {
                var outcome = string.Equals(existing.ContentHash, command.ContentHash, StringComparison.Ordinal)
                    ? RegistrationOutcome.AlreadyRegistered
                    : RegistrationOutcome.Conflict;
                return new LaunchPlanRegistration(outcome, View(), existing.Spec);
            }

            var registered = new LaunchPlanVersionRegistered(Key.Project, Key.Domain, Key.Name, command.Version, command.Spec, command.ContentHash,
                command.Workflow, command.WorkflowSpec, command.Plan);
            if (await RecordIfUnchanged(registered))
            {
                return new LaunchPlanRegistration(RegistrationOutcome.Created, View(), command.Spec);
            }
        }
    }

    public Task<LaunchPlanView?> Get() => Task.FromResult(State.Exists ? View() : null);

    public async Task<TransitionResult> Activate(string version, string? reason)
    {
        while (true)
        {
            var target = State.Find(version);
            if (target is null)
            {
                return NotFound(version);
            }

            if (target.Status == LaunchPlanStatus.Archived)
            {
                return Refused($"Version '{version}' is archived; restore it before activating it.");
            }

            if (target.Status == LaunchPlanStatus.Active)
            {
                return new TransitionResult(TransitionStatus.Unchanged, null, View());
            }

            // Activating a schedule whose runs no node could ever serve would only queue runs that wait forever.
            if (await UnservableGpus(target) is { } refused)
            {
                return new TransitionResult(TransitionStatus.Invalid, refused.Message, View(), refused.Errors);
            }

            // The reminder is written first: an active schedule without one could not survive a crash. A reminder
            // left by a failed activation finds nothing to fire and removes itself.
            var scheduled = Parsed(target).Plan.Schedule is not null;
            if (scheduled)
            {
                await Remind();
            }

            if (await RecordIfUnchanged(new LaunchPlanActivated(version, State.ActiveVersion), reason))
            {
                await AfterTransition();
                return new TransitionResult(TransitionStatus.Changed, null, View());
            }
        }
    }

    public Task<TransitionResult> Deactivate(string version, string? reason) => Transition(version, reason, v => v.Status switch
    {
        LaunchPlanStatus.Active => new LaunchPlanDeactivated(version),
        _ => null,
    });

    public Task<TransitionResult> Archive(string version, string? reason) => Transition(version, reason, v => v.Status switch
    {
        LaunchPlanStatus.Archived => null,
        _ => new LaunchPlanArchived(version, v.Status == LaunchPlanStatus.Active),
    });

    public Task<TransitionResult> Restore(string version, string? reason) => Transition(version, reason, v => v.Status switch
    {
        LaunchPlanStatus.Archived => new LaunchPlanRestored(version),
        _ => null,
    });

    public async Task<TransitionResult> Pause(string? reason)
    {
        while (true)
        {
            if (State.Active is not { } active)
            {
                return State.Exists ? Refused("No version is active, so there is no schedule to pause.") : NotFound(null);
            }

            if (State.Paused)
            {
                return new TransitionResult(TransitionStatus.Unchanged, null, View());
            }

            if (await RecordIfUnchanged(new LaunchPlanPaused(active.Version), reason))
            {
                await AfterTransition();
                return new TransitionResult(TransitionStatus.Changed, null, View());
            }
        }
    }

    public async Task<TransitionResult> Resume(string? reason)
    {
        while (true)
        {
            if (State.Active is not { } active)
            {
                return State.Exists ? Refused("No version is active, so there is no schedule to resume.") : NotFound(null);
            }

            if (!State.Paused)
            {
                return new TransitionResult(TransitionStatus.Unchanged, null, View());
            }

            await Remind();
            if (await RecordIfUnchanged(new LaunchPlanResumed(active.Version), reason))
            {
                await AfterTransition();
                return new TransitionResult(TransitionStatus.Changed, null, View());
            }
        }
    }

    public async Task<LaunchResult> Trigger(string? version, string? overridesJson, string? reason, string? executionId)
    {
        var target = version is null ? State.Active : State.Find(version);
        if (target is null)
        {
            return Launch(version is null && State.Exists ? TransitionStatus.Refused : TransitionStatus.NotFound,
                version is null
                    ? State.Exists ? "No version is active; name the version to launch." : $"Launch plan '{Key.Name}' does not exist."
                    : $"Launch plan '{Key.Name}' has no version '{version}'.");
        }

        if (target.Status == LaunchPlanStatus.Archived)
        {
            return Launch(TransitionStatus.Refused, $"Version '{target.Version}' is archived: it cannot be launched. Restore it first.");
        }

        JsonObject? overrides = null;
        if (overridesJson is not null)
        {
            overrides = JsonNode.Parse(overridesJson) as JsonObject;
        }

        var (plan, workflow) = Parsed(target);
        var inputs = LaunchPlanInputs.Compose(plan, workflow, overrides, Clock.GetUtcNow());
        if (!inputs.IsValid)
        {
            return new LaunchResult(TransitionStatus.Invalid, "The inputs are not valid.", [.. inputs.Errors.Select(e => new LaunchError(e.Pointer, e.Message))], []);
        }

        var id = executionId ?? ExecutionIds.New();
        var inputsJson = inputs.Value!.ToJsonString();

        // A retry with the same idempotency key: the execution exists, so only check it is the same launch.
        var retried = executionId is not null && await Execution(id).GetSubmission() is not null;
        if (!retried)
        {
            if (await UnservableGpus(target) is { } refused)
            {
                return refused;
            }

            await Record(new LaunchPlanTriggered(target.Version, id, inputsJson), reason);
        }

        return await submissions.SubmitAsync(Submission(target, inputsJson, null, id)) switch
        {
            SubmissionResult.Accepted accepted => new LaunchResult(TransitionStatus.Changed, null, [], [new LaunchedRun(id, null, accepted.Created)]),
            SubmissionResult.Conflict => Launch(TransitionStatus.Refused,
                $"The idempotency key was already used to launch execution {id} with other inputs or another version. Use a new key for a new launch."),
            var other => throw new InvalidOperationException($"A launch of {this.GetPrimaryKeyString()}@{target.Version} was answered {other}."),
        };
    }

    public async Task<LaunchResult> Backfill(string version, DateTimeOffset from, DateTimeOffset to, string? reason)
    {
        var target = State.Find(version);
        if (target is null)
        {
            return Launch(TransitionStatus.NotFound, $"Launch plan '{Key.Name}' has no version '{version}'.");
        }

        if (target.Status == LaunchPlanStatus.Archived)
        {
            return Launch(TransitionStatus.Refused, $"Version '{version}' is archived: it cannot be launched. Restore it first.");
        }

        if (Parsed(target).Plan.Schedule is not { } schedule)
        {
            return Launch(TransitionStatus.Refused, $"Version '{version}' has no schedule, so it has no instants to backfill.");
        }

        var errors = new List<LaunchError>();
        var now = Clock.GetUtcNow();
        if (to <= from)
        {
            errors.Add(new LaunchError("/to", "'to' must be after 'from'"));
        }
        else if (to > now)
        {
            errors.Add(new LaunchError("/to", $"'to' ({to:O}) is in the future; a backfill covers instants that have passed (now is {now:O})"));
        }

        // [from, to): the instant 'from' itself is included.
        var instants = errors.Count > 0 ? [] : schedule.Between(from.AddTicks(-1), to.AddTicks(-1)).Take(Options.MaxBackfill + 1).ToList();
        if (instants.Count > Options.MaxBackfill)
        {
            errors.Add(new LaunchError("/to", $"the range holds more than {Options.MaxBackfill} scheduled instants; backfill it in smaller ranges"));
        }

        if (errors.Count > 0)
        {
            return new LaunchResult(TransitionStatus.Invalid, "The backfill is not valid.", errors, []);
        }

        if (await UnservableGpus(target) is { } refused)
        {
            return refused;
        }

        var ids = instants.Select(i => ScheduledExecutionIds.For(Key.Project, Key.Domain, Key.Name, version, i)).ToList();
        await Record(new LaunchPlanBackfilled(version, from, to, instants, ids), reason);
        var runs = new List<LaunchedRun>();
        for (var i = 0; i < instants.Count; i++)
        {
            var created = await CreateScheduled(target, instants[i], ids[i]);
            runs.Add(new LaunchedRun(ids[i], instants[i], created));
        }

        return new LaunchResult(TransitionStatus.Changed, null, [], runs);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Tick();

    public async Task Tick()
    {
        // Fires are the scheduler's own acts, whoever's call woke the grain.
        RequestContext.Clear();
        CallContext.Set(SchedulerPrincipal, null);
        if (!_recovered)
        {
            await RecoverFires();
        }

        while (true)
        {
            if (!Scheduled)
            {
                StopTimers();
                await Unremind();
                return;
            }

            var active = State.Active!;
            var schedule = Parsed(active).Plan.Schedule!;
            EnsurePollTimer();
            if (State.Buffered is { } buffered)
            {
                if (await PreviousRunning() is null)
                {
                    if (!await Fire(active, new DueInstant(buffered, Late: false), cancelled: null))
                    {
                        continue;
                    }
                }
            }

            var now = Clock.GetUtcNow();
            var decision = schedule.Decide(State.Cursor ?? now, now, Options.MisfireThreshold);
            if (decision.Missed > 0
                && !await RecordIfUnchanged(new LaunchPlanFiresMissed(active.Version, decision.Missed, decision.FirstMissed!.Value, decision.LastMissed!.Value, schedule.CatchUp)))
            {
                continue;
            }

            var lost = false;
            foreach (var due in decision.Fire)
            {
                if (!await Decide(active, schedule, due))
                {
                    lost = true;
                    break;
                }
            }

            if (lost)
            {
                continue; // another activation wrote first: re-decide on the fresh stream
            }

            if (schedule.Next(Max(State.Cursor ?? now, now)) is { } next)
            {
                ArmFireTimer(next);
            }

            return;
        }
    }

    /// <summary>Applies the overlap policy to one due instant. False when the conditional write lost.</summary>
    private async Task<bool> Decide(LaunchPlanVersionState active, ScheduleSpec schedule, DueInstant due)
    {
        if (schedule.Overlap == OverlapPolicy.Allow)
        {
            return await Fire(active, due, cancelled: null);
        }

        var running = await PreviousRunning();
        if (running is null)
        {
            return await Fire(active, due, cancelled: null);
        }

        switch (schedule.Overlap)
        {
            case OverlapPolicy.Skip:
                return await RecordIfUnchanged(new LaunchPlanFireSkipped(active.Version, due.At, $"execution {running} was still running"));
            case OverlapPolicy.Buffer when State.Buffered is null:
                return await RecordIfUnchanged(new LaunchPlanFireBuffered(active.Version, due.At, running));
            case OverlapPolicy.Buffer:
                return await RecordIfUnchanged(new LaunchPlanFireSkipped(active.Version, due.At,
                    $"execution {running} was still running and instant {State.Buffered:O} was already waiting"));
            default:
                return await Fire(active, due, cancelled: running);
        }
    }

    /// <summary>Records the fire, then (aborting the previous run for cancelPrevious) creates the execution.</summary>
    private async Task<bool> Fire(LaunchPlanVersionState version, DueInstant due, string? cancelled)
    {
        var id = ScheduledExecutionIds.For(Key.Project, Key.Domain, Key.Name, version.Version, due.At);
        if (!await RecordIfUnchanged(new LaunchPlanFired(version.Version, due.At, id, due.Late, cancelled)))
        {
            return false;
        }

        if (cancelled is not null)
        {
            try
            {
                await Execution(cancelled).Abort($"cancelled by the next scheduled run {id} of launch plan {Key.Name} (overlap: cancelPrevious)");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning(ex, "Launch plan {LaunchPlan} could not abort the previous run {Execution}", this.GetPrimaryKeyString(), cancelled);
            }
        }

        await CreateScheduled(version, due.At, id);
        return true;
    }

    /// <summary>Creates (idempotently) the execution of one scheduled instant. A failure leaves the fire recorded; the next
    /// wake-up re-creates it (<see cref="RecoverFires"/>).</summary>
    private async Task<bool> CreateScheduled(LaunchPlanVersionState version, DateTimeOffset instant, string id)
    {
        var (plan, workflow) = Parsed(version);
        var inputs = LaunchPlanInputs.Compose(plan, workflow, null, instant);
        if (!inputs.IsValid)
        {
            // Registration checked this; a stored version that cannot compose its inputs is a bug, not a retryable fault.
            log.LogError("Launch plan {LaunchPlan}@{Version} cannot compose inputs for {Instant}: {Errors}", this.GetPrimaryKeyString(), version.Version, instant,
                string.Join("; ", inputs.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
            return false;
        }

        try
        {
            return await submissions.SubmitAsync(Submission(version, inputs.Value!.ToJsonString(), instant, id)) switch
            {
                SubmissionResult.Accepted accepted => accepted.Created,
                SubmissionResult.Conflict => false,
                var other => throw new InvalidOperationException($"The run {id} of {this.GetPrimaryKeyString()}@{version.Version} was answered {other}."),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _recovered = false;
            log.LogWarning(ex, "Launch plan {LaunchPlan} fired {Instant} but could not create execution {Execution} yet; it is retried", this.GetPrimaryKeyString(), instant, id);
            return false;
        }
    }

    /// <summary>
    /// A crash between storing a fire and creating its execution leaves a fire without an execution: create it now,
    /// while its version is still the active schedule (a fire is never started after a deactivation or archive).
    /// </summary>
    private async Task RecoverFires()
    {
        _recovered = true;
        if (!Scheduled)
        {
            return;
        }

        var active = State.Active!;
        foreach (var fire in State.RecentFires.Where(f => string.Equals(f.Version, active.Version, StringComparison.Ordinal)).ToList())
        {
            if (await Execution(fire.ExecutionId).Get() is null)
            {
                await CreateScheduled(active, fire.ScheduledAt, fire.ExecutionId);
            }
        }
    }

    /// <summary>The id of the last scheduled run when it is still going; null when there is none or it has ended.</summary>
    private async Task<string?> PreviousRunning()
    {
        if (State.LastFire is not { } last)
        {
            return null;
        }

        var view = await Execution(last.ExecutionId).Get();
        return view is not null && !view.Phase.IsTerminal() ? last.ExecutionId : null;
    }

    private SubmitExecution Submission(LaunchPlanVersionState version, string inputsJson, DateTimeOffset? scheduledAt, string id) =>
        new(Key.Project, Key.Domain, new SubmissionSource.FromLaunchPlan($"{Key.Name}@{version.Version}", version.Plan, inputsJson, scheduledAt)) { ExecutionId = id };

    /// <summary>
    /// Refuses a trigger, backfill or activation of a version whose plan asks for GPUs no node could ever serve, before
    /// anything is recorded. The plan is the same for every run of the version, so it is checked once per call; a
    /// scheduled fire is not checked again (it was decided already): its run waits, saying why.
    /// </summary>
    private async Task<LaunchResult?> UnservableGpus(LaunchPlanVersionState version) =>
        await submissions.CheckGpusAsync(version.Plan) is { Count: > 0 } errors
            ? new LaunchResult(TransitionStatus.Invalid, NoGpu, [.. errors.Select(e => new LaunchError(e.Pointer, e.Message))], [])
            : null;

    private IWorkflowExecutionGrain Execution(string id) =>
        GrainFactory.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(Key.Project, Key.Domain, id));

    private async Task<TransitionResult> Transition(string version, string? reason, Func<LaunchPlanVersionState, LaunchPlanEvent?> decide)
    {
        while (true)
        {
            var target = State.Find(version);
            if (target is null)
            {
                return NotFound(version);
            }

            if (decide(target) is not { } change)
            {
                return new TransitionResult(TransitionStatus.Unchanged, null, View());
            }

            if (await RecordIfUnchanged(change, reason))
            {
                await AfterTransition();
                return new TransitionResult(TransitionStatus.Changed, null, View());
            }
        }
    }

    /// <summary>After a stored transition: arm or disarm the timers and the reminder to match the new state.</summary>
    private async Task AfterTransition()
    {
        if (Scheduled)
        {
            EnsurePollTimer();
            var schedule = Parsed(State.Active!).Plan.Schedule!;
            if (schedule.Next(State.Cursor ?? Clock.GetUtcNow()) is { } next)
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

    private (LaunchPlanSpec Plan, WorkflowSpec Workflow) Parsed(LaunchPlanVersionState version)
    {
        if (!_parsed.TryGetValue(version.Version, out var parsed))
        {
            var plan = LaunchPlanSpecReader.Read(SpecDocument.Parse(version.Spec, SpecFormat.Json).Value!);
            parsed = (plan.Value ?? throw new InvalidOperationException($"Stored launch plan {version.Version} is not valid."), StoredSpec.Workflow(version.WorkflowSpec));
            _parsed[version.Version] = parsed;
        }

        return parsed;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private TransitionResult NotFound(string? version) => new(TransitionStatus.NotFound,
        version is null || !State.Exists ? $"Launch plan '{Key.Name}' does not exist in {Key.Project}/{Key.Domain}." : $"Launch plan '{Key.Name}' has no version '{version}'.",
        null);

    private TransitionResult Refused(string message) => new(TransitionStatus.Refused, message, View());

    private static LaunchResult Launch(TransitionStatus status, string message) => new(status, message, [], []);

    private LaunchPlanView View()
    {
        var now = Clock.GetUtcNow();
        IReadOnlyList<DateTimeOffset> next = Scheduled
            ? Parsed(State.Active!).Plan.Schedule!.NextFires(Max(State.Cursor ?? now, now), ShownNextFires)
            : [];
        return new LaunchPlanView(Key.Project, Key.Domain, Key.Name, State.ActiveVersion, State.Paused, State.Cursor, State.Buffered,
            State.Fired, State.Skipped, State.Missed, next,
            [.. State.Versions.Select(v => new LaunchPlanVersionView(v.Version, v.Status, v.Workflow, v.Spec, v.ContentHash, v.RegisteredAt, v.RegisteredBy,
                v.ChangedAt, v.ChangedBy, v.ChangeReason))],
            State.RecentFires);
    }
}
