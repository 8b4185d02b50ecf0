using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>
/// Drives one workflow execution's DAG. While it is not terminal it holds a reminder (stored in PostgreSQL),
/// so a silo crash only pauses it: the reminder reactivates it elsewhere, it rebuilds from its events,
/// asks each active node to resume, and carries on.
/// </summary>
public sealed class WorkflowExecutionGrain(
    IEventStreamStore store,
    TimeProvider clock,
    IOptions<ExecutionEngineOptions> options,
    ILogger<WorkflowExecutionGrain> log)
    : EventSourcedGrain<WorkflowExecutionState, WorkflowExecutionEvent>(store, clock), IWorkflowExecutionGrain, IRemindable
{
    private const string DriveReminder = "drive";

    /// <summary>
    /// Decisions read the tentative state: confirmed events plus those raised in this turn and not yet written.
    /// A turn raises several events before one write (one commit per step, not per event), and each decision
    /// must see the ones before it.
    /// </summary>
    private new WorkflowExecutionState State => TentativeState;

    private IGrainTimer? _driveTimer;
    private IGrainTimer? _timeoutTimer;

    private (string Project, string Domain, string ExecutionId) Key => ExecutionKeys.ParseWorkflow(this.GetPrimaryKeyString());

    protected override StreamAddress Stream =>
        new(StreamAddress.TenantOf(Key.Project, Key.Domain), $"execution/{Key.ExecutionId}");

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
        + (command.Priority != 0 ? "\npriority:" + command.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty));

    public async Task<CreateOutcome> Create(CreateExecution command)
    {
        var hash = SubmissionHash(command);
        while (!State.Exists)
        {
            var accepted = new ExecutionAccepted(Key.ExecutionId, Key.Project, Key.Domain, command.Plan, command.InputsJson, hash,
                command.IdempotencyKey, command.OverwriteCache, command.RelaunchOf, command.RecoverOf, command.LaunchPlan, command.ScheduledAt,
                command.RecoveredOutputs, command.Priority);

            // The reminder and the acceptance are written concurrently; both must be durable before we answer.
            // If we crash between them, a reminder on an empty stream unregisters itself; an acceptance without
            // a reminder cannot happen because the caller only sees success when both are stored.
            var remind = this.RegisterOrUpdateReminder(DriveReminder, options.Value.ReminderPeriod, options.Value.ReminderPeriod);
            var record = RecordIfUnchanged(accepted);
            await Task.WhenAll(remind, record);
            if (await record)
            {
                ScheduleDrive();
                return new CreateOutcome(CreateStatus.Created, View());
            }
        }

        var same = string.Equals(State.Submission!.SubmissionHash, hash, StringComparison.Ordinal);
        if (same && !State.Phase.IsTerminal())
        {
            // A retried submission may be retrying a create whose reminder write failed: make sure it holds one.
            await this.RegisterOrUpdateReminder(DriveReminder, options.Value.ReminderPeriod, options.Value.ReminderPeriod);
            ScheduleDrive();
        }

        return new CreateOutcome(same ? CreateStatus.AlreadyExists : CreateStatus.Conflict, View());
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Reactivated with work left (after a crash, or evicted while idle): carry on without waiting for the reminder.
        if (State.Exists && !State.Phase.IsTerminal())
        {
            this.RegisterGrainTimer(
                static (grain, _) => grain.Recover(),
                this,
                new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
        }

        return base.OnActivateAsync(cancellationToken);
    }

    public Task<ExecutionView?> Get() => Task.FromResult(State.Exists ? View() : null);

    public Task<ExecutionSubmission?> GetSubmission() => Task.FromResult(State.Submission is { } s
        ? new ExecutionSubmission(s.ExecutionId, s.Project, s.Domain, s.Plan, s.InputsJson, s.IdempotencyKey, s.OverwriteCache, s.Priority,
            s.RelaunchOf, s.RecoverOf, s.RecoveredOutputs, s.LaunchPlan, s.ScheduledAt, s.Meta.At, s.Meta.Principal)
        : null);

    public async Task<ExecutionView> Abort(string reason)
    {
        if (!State.Exists || State.Phase.IsTerminal())
        {
            return State.Exists ? View() : throw new InvalidOperationException($"Execution {Key.ExecutionId} does not exist.");
        }

        if (State.Phase != WorkflowPhase.Aborting)
        {
            RaiseEvent(Stamp(new ExecutionAborting(reason), reason));
        }

        await StopActiveNodes(reason, WorkflowPhase.Aborted);
        return View();
    }

    public async Task OnNodeCompleted(NodeCompletion completion)
    {
        if (!State.Exists || !State.Nodes.TryGetValue(completion.NodeId, out var node) || !node.IsActive)
        {
            return; // late, duplicate, or about a node already settled (e.g. aborted)
        }

        Settle(completion, failFast: true);
        await Drive();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!State.Exists || State.Phase.IsTerminal())
        {
            await Unremind();
            return;
        }

        await Recover();
    }

    private async Task Recover()
    {
        if (!State.Exists || State.Phase.IsTerminal())
        {
            return;
        }

        // After a crash (or a lost one-way notification) ask every active node where it stands.
        var active = State.Nodes.Values.Where(n => n.IsActive).Select(n => n.NodeId).ToList();
        var views = await Task.WhenAll(active.Select(id => TaskGrain(id).Resume()));

        // A crash between storing NodeReady and starting its task leaves a node its task grain never heard of.
        await Task.WhenAll(views.Where(v => v.Phase == TaskPhase.NotReady)
            .Select(v => StartNode(State.Plan.Node(v.NodeId), State.Nodes[v.NodeId].InputsJson ?? "{}")));

        foreach (var view in views.Where(v => v.Phase.IsTerminal()))
        {
            if (State.Nodes[view.NodeId].IsActive)
            {
                Settle(new NodeCompletion(view.NodeId, view.Phase, view.OutputsJson, view.Error, view.CacheHit), failFast: true);
            }
        }

        await Drive();
    }

    /// <summary>One step of the DAG: start what is ready, skip what can no longer run, finish when nothing is left.</summary>
    private async Task Drive()
    {
        if (!State.Exists || State.Phase.IsTerminal())
        {
            return;
        }

        if (State.Phase is WorkflowPhase.Aborting)
        {
            await StopActiveNodes(State.Error ?? "aborted", WorkflowPhase.Aborted);
            return;
        }

        if (State.Phase is WorkflowPhase.Failing)
        {
            // Fail-fast: one node failed, so stop the others now rather than let them run for nothing.
            await StopActiveNodes(State.Error ?? "a node failed", WorkflowPhase.Failed);
            return;
        }

        if (State.Phase == WorkflowPhase.Queued)
        {
            RaiseEvent(Stamp(new ExecutionStarted()));
        }

        if (TimeoutExpired())
        {
            await StopActiveNodes($"the workflow did not finish within its timeout of {State.Plan.Timeout}", WorkflowPhase.TimedOut);
            return;
        }

        ScheduleTimeout();
        var values = BindingValues();
        var toStart = new List<(PlanNode Node, string Inputs)>();
        bool progressed;
        do
        {
            progressed = false;
            foreach (var planNode in State.Plan.Nodes)
            {
                var node = State.Nodes[planNode.Id];
                if (node.Phase != TaskPhase.NotReady)
                {
                    continue;
                }

                var upstream = planNode.Upstream.Select(u => State.Nodes[u]).ToList();
                if (upstream.Any(u => u.Phase is not (TaskPhase.Succeeded or TaskPhase.NotReady or TaskPhase.Queued)))
                {
                    var cause = upstream.FirstOrDefault(u => u.Phase.IsTerminal() && u.Phase != TaskPhase.Succeeded);
                    RaiseEvent(Stamp(new NodeSkipped(planNode.Id, cause is null
                        ? "the execution is failing"
                        : $"upstream node '{cause.NodeId}' did not succeed ({cause.Phase})")));
                    progressed = true;
                    continue;
                }

                if (upstream.Any(u => u.Phase != TaskPhase.Succeeded))
                {
                    continue;
                }

                var inputs = Resolve(planNode.Inputs, values).ToJsonString();
                RaiseEvent(Stamp(new NodeReady(planNode.Id, inputs)));
                if (State.Submission!.RecoveredOutputs.TryGetValue(planNode.Id, out var reused))
                {
                    RaiseEvent(Stamp(new NodeSucceeded(planNode.Id, reused, false, State.Submission.RecoverOf)));
                    values.Outputs[planNode.Id] = JsonNode.Parse(reused)!.AsObject();
                }
                else
                {
                    toStart.Add((planNode, inputs));
                }

                progressed = true;
            }
        }
        while (progressed);

        if (State.Nodes.Values.All(n => n.Phase.IsTerminal()))
        {
            Finish();
        }

        // Durable before any side effect: a node is started only once its NodeReady is stored.
        await ConfirmEvents();
        if (State.Phase.IsTerminal())
        {
            await Unremind();
            return;
        }

        await Task.WhenAll(toStart.Select(s => StartNode(s.Node, s.Inputs)));
    }

    private void Settle(NodeCompletion completion, bool failFast)
    {
        if (completion.Phase == TaskPhase.Succeeded)
        {
            RaiseEvent(Stamp(new NodeSucceeded(completion.NodeId, completion.OutputsJson ?? "{}", completion.CacheHit, null)));
            return;
        }

        var error = completion.Error ?? completion.Phase.ToString();
        RaiseEvent(Stamp(new NodeFailed(completion.NodeId, completion.Phase, error)));
        if (failFast && !State.Plan.FinishWhatCanFinish && State.Phase == WorkflowPhase.Running)
        {
            RaiseEvent(Stamp(new ExecutionFailing($"node '{completion.NodeId}' {completion.Phase.ToString().ToLowerInvariant()}: {error}")));
        }
    }

    private void Finish()
    {
        var failed = State.Plan.Nodes.Select(n => State.Nodes[n.Id]).FirstOrDefault(n => n.Phase is not (TaskPhase.Succeeded or TaskPhase.Skipped));
        if (State.Phase == WorkflowPhase.Failing || failed is not null)
        {
            RaiseEvent(Stamp(new ExecutionFailed(State.Error ?? $"node '{failed!.NodeId}' {failed.Phase.ToString().ToLowerInvariant()}: {failed.Error}")));
            return;
        }

        if (State.Nodes.Values.Any(n => n.Phase == TaskPhase.Skipped))
        {
            RaiseEvent(Stamp(new ExecutionFailed("some nodes were skipped")));
            return;
        }

        RaiseEvent(Stamp(new ExecutionSucceeded(Resolve(State.Plan.Outputs, BindingValues()).ToJsonString())));
    }

    /// <summary>Ends the execution in <paramref name="final"/> after stopping every node still active.</summary>
    private async Task StopActiveNodes(string reason, WorkflowPhase final)
    {
        foreach (var node in State.Plan.Nodes.Where(n => State.Nodes[n.Id].Phase == TaskPhase.NotReady))
        {
            RaiseEvent(Stamp(new NodeSkipped(node.Id, reason)));
        }

        await ConfirmEvents();
        var active = State.Nodes.Values.Where(n => n.IsActive).Select(n => n.NodeId).ToList();
        var views = await Task.WhenAll(active.Select(id => TaskGrain(id).Abort(reason)));
        foreach (var view in views)
        {
            Settle(new NodeCompletion(view.NodeId, view.Phase, view.OutputsJson, view.Error ?? reason, view.CacheHit), failFast: false);
        }

        WorkflowExecutionEvent ended = final switch
        {
            WorkflowPhase.TimedOut => new ExecutionTimedOut(State.Plan.Timeout ?? TimeSpan.Zero),
            WorkflowPhase.Aborted => new ExecutionAborted(reason),
            _ => new ExecutionFailed(reason),
        };
        RaiseEvent(Stamp(ended, reason));
        await ConfirmEvents();
        await Unremind();
    }

    private bool TimeoutExpired() =>
        State.Plan.Timeout is { } timeout && State.StartedAt is { } started && Clock.GetUtcNow() - started >= timeout;

    private void ScheduleTimeout()
    {
        if (_timeoutTimer is not null || State.Plan.Timeout is not { } timeout)
        {
            return;
        }

        var due = (State.StartedAt ?? Clock.GetUtcNow()) + timeout - Clock.GetUtcNow();
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
        _timeoutTimer?.Dispose();
        try
        {
            if (await this.GetReminder(DriveReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Harmless: the next tick finds the execution terminal and tries again.
            log.LogWarning(ex, "Could not unregister the reminder of execution {Execution}", this.GetPrimaryKeyString());
        }
    }

    private Task StartNode(PlanNode node, string inputs) => TaskGrain(node.Id).Start(new StartTask(
        Key.ExecutionId, node.Id, Key.Project, Key.Domain, node.Task, node.TaskSpec, inputs, State.Submission!.OverwriteCache, State.Submission.Priority));

    /// <summary>Evaluates bindings (a node's inputs, or the workflow's outputs) against already parsed values.</summary>
    private static JsonObject Resolve(IReadOnlyDictionary<string, string> bindings, (JsonObject Inputs, Dictionary<string, JsonObject> Outputs) values)
    {
        var resolved = new JsonObject();
        foreach (var (name, binding) in bindings)
        {
            resolved[name] = BindingEvaluator.Evaluate(binding, values.Inputs, values.Outputs);
        }

        return resolved;
    }

    /// <summary>The workflow inputs and the outputs of succeeded nodes, parsed once per step rather than once per binding.</summary>
    private (JsonObject Inputs, Dictionary<string, JsonObject> Outputs) BindingValues() => (
        JsonNode.Parse(State.Submission!.InputsJson)!.AsObject(),
        State.Nodes.Values
            .Where(n => n.Phase == TaskPhase.Succeeded && n.OutputsJson is not null)
            .ToDictionary(n => n.NodeId, n => JsonNode.Parse(n.OutputsJson!)!.AsObject(), StringComparer.Ordinal));

    private ITaskExecutionGrain TaskGrain(string nodeId) =>
        GrainFactory.GetGrain<ITaskExecutionGrain>(ExecutionKeys.Task(Key.Project, Key.Domain, Key.ExecutionId, nodeId));

    private ExecutionView View()
    {
        var s = State.Submission!;
        return new ExecutionView(
            s.ExecutionId, s.Project, s.Domain, $"{s.Plan.WorkflowName}@{s.Plan.WorkflowVersion}", State.Phase, s.InputsJson, State.OutputsJson, State.Error,
            s.Meta.At, s.Meta.Principal, State.StartedAt, State.FinishedAt,
            [.. s.Plan.Nodes.Select(p =>
            {
                var n = State.Nodes[p.Id];
                return new NodeView(p.Id, p.Task, n.Phase, n.InputsJson, n.OutputsJson, n.Error, n.CacheHit, n.RecoveredFrom, n.ReadyAt, n.FinishedAt);
            })],
            s.RelaunchOf, s.RecoverOf, s.LaunchPlan, s.ScheduledAt);
    }
}
