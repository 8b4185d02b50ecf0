using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Abstractions.Submissions;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Grains.LaunchPlans;

/// <summary>
/// One launch plan name: its versions, the active one, and that version's schedule, fired exactly once per instant.
/// The grain is thin around pure deciders in Domain: <see cref="LaunchPlanTransitions"/> for the versions' lifecycle and
/// <see cref="LaunchPlanSchedule"/> for what a wake-up fires. Each decision is recorded with
/// <see cref="EventSourcedGrain{TState, TEvent}.DecideAndRecord{TResult}"/>: a stale activation loses the conditional
/// write and decides again on the fresh stream, so an instant is never decided twice and never fires after a stored
/// deactivation or archive. Side effects (timers, the reminder, aborting and creating executions) follow the write.
/// </summary>
/// <remarks>
/// One class in partial files, one concern each: this file (activation, views, parsed specs), <c>.Versions</c>
/// (registration and transitions), <c>.Launches</c> (trigger and backfill), <c>.Schedule</c> (the one <see cref="Tick"/>
/// every wake-up runs, timers and the reminder) and <c>.Executions</c> (the only code that builds and submits executions, and checks their GPUs).
/// Partial files rather than collaborators: every part needs the grain's state, its conditional writes, its timers and
/// reminder, and the decisions already live outside the grain, so collaborators would only pass those back and forth.
/// </remarks>
public sealed partial class LaunchPlanGrain(
    IEventStreamStore store,
    LaunchPlanClock clock,
    IExecutionSubmissions submissions,
    IOptions<LaunchPlanOptions> options,
    ILogger<LaunchPlanGrain> log)
    : EventSourcedGrain<LaunchPlanState, LaunchPlanEvent>(store, clock.Time), ILaunchPlanGrain, IRemindable
{
    /// <summary>The principal of fires: the scheduler acts on its own, not for whoever last called the grain.</summary>
    public const string SchedulerPrincipal = "system:scheduler";

    private readonly Dictionary<string, (LaunchPlanSpec Plan, WorkflowSpec Workflow)> _parsed = new(StringComparer.Ordinal);
    private ILaunchPlanGrain? _self;

    /// <summary>Whether this activation counts as a firing schedule (<see cref="Observability.ActiveSchedules"/>).</summary>
    private bool _counted;

    private (string Project, string Domain, string Name) Key => DefinitionKey.Parse(this.GetPrimaryKeyString());

    protected override StreamAddress Stream =>
        new(StreamAddress.TenantOf(Key.Project, Key.Domain), $"launchplan/{this.GetPrimaryKeyString()}");

    private LaunchPlanOptions Options => options.Value;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _self = GrainFactory.GetGrain<ILaunchPlanGrain>(this.GetPrimaryKeyString());
        CountSchedule(Firing(State) is not null);
        if (Firing(State) is not null)
        {
            // Reactivated (after a crash, a restart or idle collection): catch up at once, then keep the timers armed.
            this.RegisterGrainTimer(static (grain, _) => grain.Tick(), this,
                new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
        }

        return base.OnActivateAsync(cancellationToken);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        StopTimers();
        CountSchedule(firing: false);
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>Counts fires, skips, buffered and missed instants and lateness, and whether the schedule now fires.</summary>
    protected override void OnRecorded(LaunchPlanState before, IReadOnlyList<LaunchPlanEvent> events)
    {
        if (Metrics is not { } metrics)
        {
            return;
        }

        var (project, domain, name) = Key;
        foreach (var @event in events)
        {
            switch (@event)
            {
                case LaunchPlanFired fired:
                    metrics.Fired(project, domain, name, fired.Meta.At - fired.ScheduledAt);
                    break;
                case LaunchPlanFireSkipped:
                    metrics.FireSkipped(project, domain, name);
                    break;
                case LaunchPlanFireBuffered:
                    metrics.FireBuffered(project, domain, name);
                    break;
                case LaunchPlanFiresMissed missed:
                    metrics.FiresMissed(project, domain, name, missed.Count);
                    break;
            }
        }

        CountSchedule(Firing(TentativeState) is not null);
    }

    private void CountSchedule(bool firing)
    {
        if (firing && !_counted)
        {
            // The plan's counters exist at zero from its first firing activation, so alerts and panels see it at once.
            Metrics?.ScheduleSeen(Key.Project, Key.Domain, Key.Name);
        }

        _counted = firing;
        ServiceProvider.GetService<Observability.ActiveSchedules>()?.Set(this.GetPrimaryKeyString(), Key.Project, Key.Domain, firing);
    }

    public Task<LaunchPlanView?> Get() => Task.FromResult(State.Exists ? View() : null);

    private LaunchPlanView View() => LaunchPlanViews.Of(Key.Project, Key.Domain, Key.Name, State, ScheduleOf, Clock.GetUtcNow());

    /// <summary>The schedule that should be firing in <paramref name="state"/>; null when nothing should fire.</summary>
    private ScheduleSpec? Firing(LaunchPlanState state) => LaunchPlanSchedule.Firing(state, ScheduleOf);

    private ScheduleSpec? ScheduleOf(LaunchPlanVersionState version) => Parsed(version).Plan.Schedule;

    /// <summary>A version's stored specs, read once per activation (a version never changes).</summary>
    private (LaunchPlanSpec Plan, WorkflowSpec Workflow) Parsed(LaunchPlanVersionState version)
    {
        if (!_parsed.TryGetValue(version.Version, out var parsed))
        {
            parsed = (StoredSpec.LaunchPlan(version.Spec), StoredSpec.Workflow(version.WorkflowSpec));
            _parsed[version.Version] = parsed;
        }

        return parsed;
    }

    private IWorkflowExecutionGrain Execution(string id) =>
        GrainFactory.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(Key.Project, Key.Domain, id));

    private TransitionResult NotFound(string? version) => new(TransitionStatus.NotFound,
        version is null || !State.Exists ? $"Launch plan '{Key.Name}' does not exist in {Key.Project}/{Key.Domain}." : $"Launch plan '{Key.Name}' has no version '{version}'.",
        null);

    private TransitionResult Refused(string message) => new(TransitionStatus.Refused, message, View());
}
