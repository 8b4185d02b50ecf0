using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Executions;

/// <summary>
/// Decides one step of a workflow execution: from the fold of its events, what happened and the time, which events to
/// raise and what to do once they are durable. Pure (no I/O, no clock), so it is tested without a silo and the grain
/// only loads, asks, raises, confirms and acts. The DAG walk is <see cref="WorkflowDag"/>; what a node does when it is
/// ready or done is <see cref="NodeDecisions"/>.
/// </summary>
public static class WorkflowStep
{
    public static WorkflowDecision Decide(WorkflowExecutionState state, WorkflowTrigger trigger, DateTimeOffset now)
    {
        if (!state.Exists || state.Phase.IsTerminal())
        {
            // A reminder on an empty stream (a crash between the reminder and the acceptance) or on an ended execution
            // removes itself; anything else about such an execution changes nothing.
            return trigger is WorkflowTrigger.Recover ? WorkflowDecision.Ended : WorkflowDecision.Nothing;
        }

        var step = new WorkflowDraft(state, now);
        return trigger switch
        {
            WorkflowTrigger.Drive => Advance(step),
            WorkflowTrigger.NodeCompleted completed => Completed(step, completed.Outcome),
            WorkflowTrigger.Abort abort => Abort(step, abort.Reason),
            WorkflowTrigger.Recover recover => Recover(step, recover.Answers),
            WorkflowTrigger.NodesStopped stopped => Stopped(step, stopped.Stop, stopped.Answers),
            _ => throw new ArgumentOutOfRangeException(nameof(trigger), trigger, "Unknown workflow trigger."),
        };
    }

    /// <summary>The task nodes to ask where they stand in a recover pass: those handed to a task grain and not yet
    /// settled (for a map node, its elements in flight, <c>node[i]</c>).</summary>
    public static IReadOnlyList<string> NodesToResume(WorkflowExecutionState state) =>
        state.Exists && !state.Phase.IsTerminal() ? ActiveTasks(state) : [];

    private static WorkflowDecision Completed(WorkflowDraft step, NodeOutcome outcome)
    {
        if (Element(step.State, outcome.NodeId) is { } element)
        {
            MapNodes.ElementEnded(step, element.Node, element.Node.Map!, element.Index, outcome, failFast: true);
            return Advance(step);
        }

        if (!step.State.Nodes.TryGetValue(outcome.NodeId, out var node) || !node.IsActive || step.State.Plan.Node(outcome.NodeId).Map is not null)
        {
            return WorkflowDecision.Nothing; // late, duplicate, or about a node already settled (e.g. aborted)
        }

        NodeDecisions.Settle(step, outcome, failFast: true);
        return Advance(step);
    }

    private static WorkflowDecision Recover(WorkflowDraft step, IReadOnlyList<NodeOutcome> answers)
    {
        // A crash between storing NodeReady and starting its task leaves a node its task grain never heard of.
        foreach (var answer in answers.Where(a => a.Phase == TaskPhase.NotReady))
        {
            if (Element(step.State, answer.NodeId) is { } element)
            {
                var map = element.Node.Map!;
                step.Start(element.Node, MapNodes.ElementInputs(step.State.Nodes[element.Node.Id], map, element.Index), element.Index);
            }
            else if (IsActive(step.State, answer.NodeId))
            {
                step.Start(step.State.Plan.Node(answer.NodeId), step.State.Nodes[answer.NodeId].InputsJson ?? "{}");
            }
        }

        // A lost one-way completion: the task grain knows the node ended, this execution does not yet.
        foreach (var answer in answers.Where(a => a.Phase.IsTerminal()))
        {
            if (Element(step.State, answer.NodeId) is { } element)
            {
                MapNodes.ElementEnded(step, element.Node, element.Node.Map!, element.Index, answer, failFast: true);
            }
            else if (IsActive(step.State, answer.NodeId))
            {
                NodeDecisions.Settle(step, answer, failFast: true);
            }
        }

        return Advance(step);
    }

    private static WorkflowDecision Abort(WorkflowDraft step, string reason)
    {
        if (step.State.Phase != WorkflowPhase.Aborting)
        {
            step.Raise(new ExecutionAborting(reason), reason);
        }

        return BeginStop(step, reason, WorkflowPhase.Aborted);
    }

    /// <summary>Start what is ready, skip what can no longer run, finish when nothing is left; or stop, if the
    /// execution is aborting, failing fast or out of time.</summary>
    private static WorkflowDecision Advance(WorkflowDraft step)
    {
        var state = step.State;
        switch (state.Phase)
        {
            case WorkflowPhase.Aborting:
                return BeginStop(step, state.Error ?? "aborted", WorkflowPhase.Aborted);
            case WorkflowPhase.Failing:
                // Fail-fast: one node failed, so stop the others now rather than let them run for nothing.
                return BeginStop(step, state.Error ?? "a node failed", WorkflowPhase.Failed);
            case WorkflowPhase.Queued:
                step.Raise(new ExecutionStarted());
                break;
        }

        if (state.Plan.Timeout is { } timeout && state.StartedAt is { } started && step.Now - started >= timeout)
        {
            return BeginStop(step, $"the workflow did not finish within its timeout of {timeout}", WorkflowPhase.TimedOut);
        }

        // Map nodes with room start their next elements (paced: see MapNodes).
        foreach (var node in state.Plan.Nodes.Where(n => n.Map is not null && state.Nodes[n.Id].IsActive))
        {
            MapNodes.Pump(step, node, node.Map!);
        }

        WorkflowDag.Walk(step);
        if (state.Phase == WorkflowPhase.Failing)
        {
            return BeginStop(step, state.Error ?? "a node failed", WorkflowPhase.Failed);
        }

        if (state.Nodes.Values.All(n => n.Phase.IsTerminal()))
        {
            Finish(step);
            return step.Decision(stopReminder: true);
        }

        return step.Decision(timeoutAt: state.StartedAt + state.Plan.Timeout);
    }

    private static void Finish(WorkflowDraft step)
    {
        var state = step.State;
        var failed = state.Plan.Nodes.Select(n => state.Nodes[n.Id]).FirstOrDefault(n => n.Phase is not (TaskPhase.Succeeded or TaskPhase.Skipped));
        var skippedForFailure = state.Nodes.Values.Where(n => n.Phase == TaskPhase.Skipped && n.NotTakenBy is null);
        if (state.Phase == WorkflowPhase.Failing || failed is not null)
        {
            step.Raise(new ExecutionFailed(state.Error
                ?? (failed is null ? "a node failed" : $"node '{failed.NodeId}' {failed.Phase.ToString().ToLowerInvariant()}: {failed.Error}")));
        }
        else if (skippedForFailure.Any())
        {
            step.Raise(new ExecutionFailed("some nodes were skipped"));
        }
        else
        {
            step.Raise(new ExecutionSucceeded(BindingValues.Of(state).Resolve(state.Plan.Outputs).ToJsonString()));
        }
    }

    /// <summary>Ending early, first half: skip every node not yet started, and name the active ones to abort once
    /// that is durable. The answers come back as <see cref="WorkflowTrigger.NodesStopped"/>.</summary>
    private static WorkflowDecision BeginStop(WorkflowDraft step, string reason, WorkflowPhase final)
    {
        foreach (var node in step.State.Plan.Nodes.Where(n => step.State.Nodes[n.Id].Phase == TaskPhase.NotReady))
        {
            step.Raise(new NodeSkipped(node.Id, reason));
        }

        return step.Decision(stop: new WorkflowStop(reason, final, ActiveTasks(step.State)));
    }

    /// <summary>Ending early, second half: settle the aborted nodes by their answers and end the execution.</summary>
    private static WorkflowDecision Stopped(WorkflowDraft step, WorkflowStop stop, IReadOnlyList<NodeOutcome> answers)
    {
        foreach (var answer in answers)
        {
            if (Element(step.State, answer.NodeId) is { } element)
            {
                MapNodes.ElementEnded(step, element.Node, element.Node.Map!, element.Index, answer with { Error = answer.Error ?? stop.Reason }, failFast: false, stopping: true);
            }
            else if (IsActive(step.State, answer.NodeId))
            {
                NodeDecisions.Settle(step, answer with { Error = answer.Error ?? stop.Reason }, failFast: false);
            }
        }

        // A map node stopped with elements not yet started (or none in flight) ends with the stop.
        foreach (var node in step.State.Plan.Nodes.Where(n => n.Map is not null && step.State.Nodes[n.Id].IsActive))
        {
            NodeDecisions.Fail(step, node.Id, TaskPhase.Aborted, stop.Reason, failFast: false);
        }

        WorkflowExecutionEvent ended = stop.Final switch
        {
            WorkflowPhase.TimedOut => new ExecutionTimedOut(step.State.Plan.Timeout ?? TimeSpan.Zero),
            WorkflowPhase.Aborted => new ExecutionAborted(stop.Reason),
            _ => new ExecutionFailed(stop.Reason),
        };
        step.Raise(ended, stop.Reason);
        return step.Decision(stopReminder: true);
    }

    /// <summary>Task grains handed work and not yet settled: active task nodes, and the elements in flight of active map nodes.</summary>
    private static List<string> ActiveTasks(WorkflowExecutionState state) =>
        [.. state.Plan.Nodes.Where(n => state.Nodes[n.Id].IsActive).SelectMany(n => n.Map is null
            ? [n.Id]
            : (state.Nodes[n.Id].Map?.InFlightIndexes ?? []).Select(i => MapElements.TaskNodeId(n.Id, i)))];

    /// <summary>The map element a task node id names, if it is one of an active map node and in flight.</summary>
    private static (PlanNode Node, int Index)? Element(WorkflowExecutionState state, string taskNodeId)
    {
        if (!MapElements.TryParse(taskNodeId, out var nodeId, out var index)
            || !state.Nodes.TryGetValue(nodeId, out var node) || !node.IsActive || node.Map is not { } progress || !progress.IsInFlight(index))
        {
            return null;
        }

        return (state.Plan.Node(nodeId), index);
    }

    private static bool IsActive(WorkflowExecutionState state, string nodeId) =>
        state.Nodes.TryGetValue(nodeId, out var node) && node.IsActive;
}

/// <summary>
/// A step in progress: a copy of the state with this step's events folded in by the same <c>Apply</c> the grain uses,
/// so each decision sees the ones before it (the grain reads its tentative state for the same reason).
/// </summary>
internal sealed class WorkflowDraft(WorkflowExecutionState state, DateTimeOffset now)
{
    private readonly List<WorkflowExecutionEvent> _events = [];
    private readonly List<NodeStart> _start = [];

    public WorkflowExecutionState State { get; } = state.Copy();

    public DateTimeOffset Now => now;

    public void Raise(WorkflowExecutionEvent @event, string? reason = null)
    {
        var stamped = @event with { Meta = EventMetadata.Unstamped with { At = now, Reason = reason } };
        State.Apply(stamped);
        _events.Add(stamped);
    }

    /// <summary>How many more map elements this step may start (see <see cref="MapNodes"/>).</summary>
    public int StartBudget { get; set; } = MapNodes.MaxStartsPerStep;

    /// <summary>A map node had room for more elements than the budget allowed: take another step soon.</summary>
    public bool MoreToStart { get; set; }

    public void Start(PlanNode node, string inputsJson, int? element = null) => _start.Add(new NodeStart(node, inputsJson, element));

    public WorkflowDecision Decision(WorkflowStop? stop = null, bool stopReminder = false, DateTimeOffset? timeoutAt = null) =>
        new([.. _events], [.. _start], stop, stopReminder, State.Phase.IsTerminal() ? null : timeoutAt, MoreToStart && stop is null && !State.Phase.IsTerminal());
}
