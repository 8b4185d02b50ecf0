using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Grains.Hosting;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>
/// Drives one workflow execution's DAG. While it is not terminal its supervisor shard (<see cref="ExecutionSupervisorGrain"/>,
/// one reminder stored in PostgreSQL per shard, not per execution) asks it to recover on every tick, so a silo crash only
/// pauses it: the tick reactivates it elsewhere, it rebuilds from its events, asks each active node to resume, and carries on. Every step is load → decide (<see cref="WorkflowStep"/>, pure)
/// → raise → confirm → side effects; the grain itself decides nothing about the DAG.
/// </summary>
public sealed partial class WorkflowExecutionGrain(
    IEventStreamStore store,
    TimeProvider clock,
    ILogger<WorkflowExecutionGrain> log)
    : EventSourcedGrain<WorkflowExecutionState, WorkflowExecutionEvent>(store, clock), IWorkflowExecutionGrain, IRemindable
{
    /// <summary>The per-execution reminder older versions held; one still found is dropped (the supervisor covers it).</summary>
    private const string DriveReminder = "drive";

    /// <summary>
    /// Steps are decided on the tentative state: confirmed events plus any raised and not yet written (a write that
    /// failed is retried by Orleans in the background), so a step never decides again what an earlier one raised.
    /// </summary>
    private new WorkflowExecutionState State => TentativeState;

    private IGrainTimer? _driveTimer;

    /// <summary>Set while the recovery this activation scheduled for itself has not run: a supervisor tick that activated
    /// the grain then leaves the recovering to it instead of doing it twice.</summary>
    private bool _recoveryPending;
    private IGrainTimer? _timeoutTimer;

    private (string Project, string Domain, string ExecutionId) Key => ExecutionKeys.ParseWorkflow(this.GetPrimaryKeyString());

    protected override StreamAddress Stream =>
        new(StreamAddress.TenantOf(Key.Project, Key.Domain), $"execution/{Key.ExecutionId}");

    /// <summary>Steps no one asked for (timers, the reminder, a runner's news) act for whoever submitted the run.</summary>
    protected override string? ActingFor => State.Submission?.Meta.Responsible;

    public static string SubmissionHash(CreateExecution command) => CanonicalJson.Sha256(string.Join(
        '\n',
        command.Plan.WorkflowName,
        command.Plan.WorkflowVersion,
        CanonicalJson.Serialize(JsonNode.Parse(command.InputsJson) ?? new JsonObject()),
        command.OverwriteCache ? "overwrite-cache" : string.Empty,
        command.RelaunchOf ?? string.Empty,
        command.RecoverOf ?? string.Empty,
        command.LaunchPlan ?? string.Empty,
        command.ScheduledAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty)
        + (command.Priority != 0 ? "\npriority:" + command.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty)
        + (command.Parent is { } parent ? $"\nparent:{parent.ExecutionId}/{parent.NodeId}" : string.Empty));

    public async Task<CreateOutcome> Create(CreateExecution command)
    {
        var hash = SubmissionHash(command);

        // The supervisor shard's reminder and the acceptance are made durable together, and we answer only once both are:
        // an acknowledged execution is always covered by a stored reminder that brings it back after a crash. The shard's
        // reminder is written once per activation of the shard, so a submission usually costs its event write alone.
        // The execution's first step (ExecutionStarted, the first nodes' NodeReady) is decided on the accepted state and
        // written in the same commit: one write per submission instead of two, and the first nodes start right after the
        // answer. A lost race re-reads the stream and finds the execution created.
        WorkflowDecision? first = null;
        var created = await DecideAndRecord(
            state =>
            {
                if (state.Exists)
                {
                    return Decision<WorkflowExecutionEvent, bool>.Unchanged(false);
                }

                var now = Clock.GetUtcNow();
                var accepted = new ExecutionAccepted(Key.ExecutionId, Key.Project, Key.Domain, command.Plan,
                    command.InputsJson, hash, command.IdempotencyKey, command.OverwriteCache, command.RelaunchOf, command.RecoverOf,
                    command.LaunchPlan, command.ScheduledAt, command.RecoveredOutputs, command.Priority, command.Parent)
                {
                    Meta = EventMetadata.Unstamped with { At = now },
                };
                first = FirstStep(accepted, now);
                return Decision<WorkflowExecutionEvent, bool>.Record(true, [accepted, .. first.Events]);
            },
            withWrite: Supervisor().Watch);
        if (created)
        {
            ActSoon(first!);
            return new CreateOutcome(CreateStatus.Created, ExecutionViews.Of(State));
        }

        var same = string.Equals(State.Submission!.SubmissionHash, hash, StringComparison.Ordinal);
        if (same && !State.Phase.IsTerminal())
        {
            // A retried submission may be retrying a create whose supervisor write failed, or whose first nodes never
            // started (a crash right after the write): make sure it is covered, and resume it now rather than at the
            // supervisor's next tick (a recovery pass starts ready nodes no task grain heard of).
            await Supervisor().Watch();
            ScheduleRecover();
        }

        return new CreateOutcome(same ? CreateStatus.AlreadyExists : CreateStatus.Conflict, ExecutionViews.Of(State));
    }

    /// <summary>What the first step decides for an execution just accepted: the same decision a drive tick would take.</summary>
    private static WorkflowDecision FirstStep(ExecutionAccepted accepted, DateTimeOffset now)
    {
        var state = new WorkflowExecutionState();
        state.Apply(accepted);
        return WorkflowStep.Decide(state, WorkflowTrigger.Drive.Tick, now);
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Reactivated with work left (after a crash, or evicted while idle): carry on without waiting for the reminder.
        if (State.Exists && !State.Phase.IsTerminal())
        {
            ScheduleRecover();
        }

        return base.OnActivateAsync(cancellationToken);
    }

    /// <summary>A recovery pass in a turn of its own, unless one is already due (a supervisor tick then leaves it be).</summary>
    private void ScheduleRecover()
    {
        if (_recoveryPending)
        {
            return;
        }

        _recoveryPending = true;
        this.RegisterGrainTimer(
            static (grain, _) => grain.Recover(),
            this,
            new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    public Task<ExecutionView?> Get() => Task.FromResult(State.Exists ? ExecutionViews.Of(State) : null);

    public Task<ExecutionSubmission?> GetSubmission() => Task.FromResult(State.Exists ? ExecutionViews.SubmissionOf(State) : null);

    public async Task<ExecutionView> Abort(string reason)
    {
        if (!State.Exists)
        {
            throw new InvalidOperationException($"Execution {Key.ExecutionId} does not exist.");
        }

        await Step(new WorkflowTrigger.Abort(reason));
        return ExecutionViews.Of(State);
    }

    public Task OnNodeCompleted(NodeCompletion completion) =>
        Step(new WorkflowTrigger.NodeCompleted(new NodeOutcome(completion.NodeId, completion.Phase, completion.OutputsJson, completion.Error, completion.CacheHit)));

    public Task Supervise() => State.Exists && !State.Phase.IsTerminal() && !_recoveryPending ? Recover() : Task.CompletedTask;

    /// <summary>Only a reminder left by an older version comes here: the execution moves under its supervisor, then recovers.</summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (State.Exists && !State.Phase.IsTerminal())
        {
            await Supervisor().Watch();
            await Recover();
        }

        await Unremind();
    }

    /// <summary>After a crash (or a lost one-way notification) ask every active node where it stands, then step.</summary>
    private async Task Recover()
    {
        _recoveryPending = false;
        ActAsComponentIfUncalled();
        var answers = await Task.WhenAll(WorkflowStep.NodesToResume(State).Select(id => ChildOf(id) is { } child ? ResumeChild(id, child) : Resume(id)));
        await Step(new WorkflowTrigger.Recover(answers));
    }

    private Task Drive() => Step(WorkflowTrigger.Drive.Tick);

    /// <summary>One step: decide on the state, raise what was decided, make it durable, then act on it.</summary>
    private async Task Step(WorkflowTrigger trigger)
    {
        ActAsComponentIfUncalled();
        var decision = WorkflowStep.Decide(State, trigger, Clock.GetUtcNow());
        if (decision.DoesNothing)
        {
            return;
        }

        // The step's time stays the event's time: the timeout armed from the decided start then falls due exactly when
        // the stored start says it does.
        RaiseEvents([.. decision.Events.Select(e => StampDecided(e))]);

        // Durable before any side effect: a node is started only once its NodeReady is stored, aborted only once the
        // execution's stop is stored, and the timeout timer goes only once the terminal event is stored.
        await ConfirmEvents();
        await Act(decision);
    }

    /// <summary>Acts on a decision whose events are durable: report an end, arm the timeout, start and stop nodes.</summary>
    private async Task Act(WorkflowDecision decision)
    {
        if (State.Phase.IsTerminal() && decision.Events.Any(e => e is ExecutionSucceeded or ExecutionFailed or ExecutionAborted or ExecutionTimedOut))
        {
            ReportToParent();
        }

        if (decision.TimeoutAt is { } timeoutAt)
        {
            ArmTimeout(timeoutAt);
        }

        // Nodes started with the execution itself measure submission → first launch (EngineMetrics).
        var submittedAt = decision.Events.Any(e => e is ExecutionStarted) ? State.Submission?.Meta.At : null;
        await Task.WhenAll(decision.Start.Select(s => StartNode(s.Node, s.TaskNodeId, s.InputsJson, submittedAt)));
        if (decision.MoreToStart)
        {
            // A map node has more elements to start than one step launches: carry on in a later turn, so completions
            // and other calls interleave with the launches.
            ScheduleDrive();
        }

        if (decision.Stop is { } stop)
        {
            var answers = await Task.WhenAll(stop.Abort.Select(id => ChildOf(id) is { } child ? AbortChild(id, child, stop.Reason) : AbortTask(id, stop.Reason)));
            await Step(new WorkflowTrigger.NodesStopped(stop, answers));
        }
        else if (decision.StopReminder)
        {
            // Nothing to write: a terminal execution drops out of its supervisor's sweep by its phase in the read model.
            _timeoutTimer?.Dispose();
        }
    }

    /// <summary>
    /// Acts on the first step in a turn of its own, so the submission is answered once its acceptance is durable, not once
    /// its first nodes have started. A crash in between leaves nodes ready that no task grain heard of: the recovery pass
    /// starts them (<see cref="WorkflowStep"/> asks each active node and starts those that answer NotReady).
    /// </summary>
    private void ActSoon(WorkflowDecision decision)
    {
        _driveTimer?.Dispose();
        _driveTimer = this.RegisterGrainTimer(
            static (first, _) =>
            {
                first.Grain.ActAsComponentIfUncalled();
                return first.Grain.Act(first.Decision);
            },
            (Grain: this, Decision: decision),
            new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private void ArmTimeout(DateTimeOffset at)
    {
        if (_timeoutTimer is not null)
        {
            return;
        }

        var due = at - Clock.GetUtcNow();
        _timeoutTimer = this.RegisterGrainTimer(
            static (grain, _) => grain.Drive(),
            this,
            new GrainTimerCreationOptions { DueTime = due > TimeSpan.Zero ? due : TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private void ScheduleDrive()
    {
        _driveTimer?.Dispose();
        _driveTimer = this.RegisterGrainTimer(
            static (grain, _) => grain.Drive(),
            this,
            new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private async Task Unremind()
    {
        try
        {
            if (await this.GetReminder(DriveReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Harmless: the next tick tries again.
            log.LogWarning(ex, "Could not unregister the old reminder of execution {Execution}", this.GetPrimaryKeyString());
        }
    }

    private Task StartNode(PlanNode node, string taskNodeId, string inputs, DateTimeOffset? submittedAt)
    {
        if (node.Child is { } child)
        {
            return StartChild(node, child, inputs);
        }

        var submission = State.Submission ?? throw new InvalidOperationException($"Execution {Key.ExecutionId} has not been accepted.");
        var start = new StartTask(
            Key.ExecutionId, taskNodeId, Key.Project, Key.Domain, node.Task, node.TaskSpec, inputs, submission.OverwriteCache, submission.Priority)
        {
            SubmittedAt = submittedAt,
        };

        // A node is started once its NodeReady is stored, normally for the first time: its task grain need not read a stream
        // that does not exist. Its first write is conditional, so a start that is not the first (recovery, a repeated step)
        // writes nothing twice.
        return NewStreams.Call(TaskGrain(taskNodeId), task => task.Start(start));
    }

    /// <summary>Counts every phase the execution enters, once its event is durable.</summary>
    protected override void OnRecorded(WorkflowExecutionState before, IReadOnlyList<WorkflowExecutionEvent> events)
    {
        if (Metrics is not { } metrics)
        {
            return;
        }

        foreach (var @event in events)
        {
            WorkflowPhase? entered = @event switch
            {
                ExecutionAccepted => WorkflowPhase.Queued,
                ExecutionStarted => WorkflowPhase.Running,
                ExecutionFailing => WorkflowPhase.Failing,
                ExecutionAborting => WorkflowPhase.Aborting,
                ExecutionSucceeded => WorkflowPhase.Succeeded,
                ExecutionFailed => WorkflowPhase.Failed,
                ExecutionAborted => WorkflowPhase.Aborted,
                ExecutionTimedOut => WorkflowPhase.TimedOut,
                _ => null,
            };
            if (entered is { } phase)
            {
                metrics.ExecutionEntered(Key.Project, Key.Domain, Observability.MetricLabels.Of(phase));
            }
        }
    }

    private static NodeOutcome Outcome(TaskExecutionView view) => new(view.NodeId, view.Phase, view.OutputsJson, view.Error, view.CacheHit);

    private async Task<NodeOutcome> Resume(string taskNodeId) => Outcome(await TaskGrain(taskNodeId).Resume());

    private async Task<NodeOutcome> AbortTask(string taskNodeId, string reason) => Outcome(await TaskGrain(taskNodeId).Abort(reason));

    private IExecutionSupervisorGrain Supervisor() =>
        GrainFactory.GetGrain<IExecutionSupervisorGrain>(IExecutionSupervisorGrain.ShardOf(Key.ExecutionId));

    private ITaskExecutionGrain TaskGrain(string nodeId) =>
        GrainFactory.Get<ITaskExecutionGrain>(ExecutionKeys.Task(Key.Project, Key.Domain, Key.ExecutionId, nodeId));
}
