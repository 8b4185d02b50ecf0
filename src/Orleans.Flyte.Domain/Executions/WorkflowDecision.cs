namespace Orleans.Flyte.Domain.Executions;

/// <summary>
/// What one step of a workflow execution decided. The grain raises <see cref="Events"/> and confirms them in one write;
/// only then does it act, in this order: start <see cref="Start"/>, arm the timeout at <see cref="TimeoutAt"/>, abort
/// what <see cref="Stop"/> names (and report back with <see cref="WorkflowTrigger.NodesStopped"/>), and drop the
/// reminder when <see cref="StopReminder"/> says the execution has ended. <see cref="MoreToStart"/>: a map node has elements
/// to start that this step's launch budget did not cover; take another step (a drive) in a later turn.
/// </summary>
/// <param name="Events">In order; each carries the step's time and, where one was given, its reason in
/// <see cref="Domain.EventSourcing.EventMetadata.Reason"/>. The grain adds who and which request.</param>
public sealed record WorkflowDecision(
    IReadOnlyList<WorkflowExecutionEvent> Events,
    IReadOnlyList<NodeStart> Start,
    WorkflowStop? Stop,
    bool StopReminder,
    DateTimeOffset? TimeoutAt,
    bool MoreToStart = false)
{
    /// <summary>Nothing happens: a late or duplicate trigger, or one about an execution that has ended.</summary>
    public static readonly WorkflowDecision Nothing = new([], [], null, false, null);

    /// <summary>Nothing is left to do, so the reminder (and any timer) can go.</summary>
    public static readonly WorkflowDecision Ended = Nothing with { StopReminder = true };

    /// <summary>No event to write and nothing to do: the grain can return at once.</summary>
    public bool DoesNothing => Events.Count == 0 && Start.Count == 0 && Stop is null && !StopReminder && TimeoutAt is null && !MoreToStart;
}

/// <summary>A node whose <see cref="NodeReady"/> is durable (or an element of a map node whose
/// <see cref="MapElementsStarted"/> is): hand it to its task grain with these inputs.</summary>
/// <param name="Element">For a map node, the element's index: its task grain is <see cref="TaskNodeId"/>.</param>
public sealed record NodeStart(PlanNode Node, string InputsJson, int? Element = null)
{
    public string TaskNodeId => Element is { } i ? MapElements.TaskNodeId(Node.Id, i) : Node.Id;
}

/// <summary>
/// The execution is ending early (abort, fail-fast, timeout): the nodes not yet started are skipped in this step; the
/// active ones in <see cref="Abort"/> are aborted after it, and their answers settle them before the execution ends in
/// <see cref="Final"/>.
/// </summary>
public sealed record WorkflowStop(string Reason, WorkflowPhase Final, IReadOnlyList<string> Abort);
