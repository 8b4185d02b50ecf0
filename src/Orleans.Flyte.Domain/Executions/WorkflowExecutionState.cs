using System.Collections.Immutable;
using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Executions;

/// <summary>The fold of one workflow execution's events. No I/O, no clock: replay gives the same state.</summary>
[GenerateSerializer, Alias("flyte.WorkflowExecutionState")]
public sealed class WorkflowExecutionState : IEventSourcedState<WorkflowExecutionEvent>
{
    [Id(0)] public ExecutionAccepted? Submission { get; private set; }
    [Id(1)] public WorkflowPhase Phase { get; private set; }
    [Id(2)] public Dictionary<string, NodeExecutionState> Nodes { get; private set; } = new(StringComparer.Ordinal);
    [Id(3)] public DateTimeOffset? StartedAt { get; private set; }
    [Id(4)] public DateTimeOffset? FinishedAt { get; private set; }
    [Id(5)] public string? Error { get; private set; }
    [Id(6)] public string? OutputsJson { get; private set; }

    public bool Exists => Submission is not null;

    public ExecutionPlan Plan => Submission?.Plan ?? throw new InvalidOperationException("The execution has not been accepted.");

    /// <summary>
    /// A copy that folding more events into leaves this one untouched: <see cref="WorkflowStep"/> folds the events it
    /// decides into a copy, so each decision of a step sees the ones before it while the grain's state changes only
    /// through its own log. Every member but <see cref="Nodes"/> is immutable, so only the nodes are copied deeply.
    /// </summary>
    public WorkflowExecutionState Copy()
    {
        var copy = (WorkflowExecutionState)MemberwiseClone();
        copy.Nodes = Nodes.ToDictionary(n => n.Key, n => n.Value.Copy(), StringComparer.Ordinal);
        return copy;
    }

    public void Apply(WorkflowExecutionEvent @event)
    {
        switch (@event)
        {
            case ExecutionAccepted e:
                Submission = e;
                Phase = WorkflowPhase.Queued;
                Nodes = e.Plan.Nodes.ToDictionary(n => n.Id, n => new NodeExecutionState { NodeId = n.Id }, StringComparer.Ordinal);
                break;
            case ExecutionStarted e:
                Phase = WorkflowPhase.Running;
                StartedAt = e.Meta.At;
                break;
            case NodeReady e:
                Nodes[e.NodeId].Ready(e.InputsJson, e.Meta.At);
                break;
            case NodeSucceeded e:
                Nodes[e.NodeId].Succeeded(e.OutputsJson, e.CacheHit, e.RecoveredFrom, e.Meta.At);
                break;
            case NodeFailed e:
                Nodes[e.NodeId].Failed(e.Phase, e.Error, e.Meta.At);
                break;
            case NodeSkipped e:
                Nodes[e.NodeId].Skipped(e.Reason, e.NotTakenBy, e.Meta.At);
                break;
            case MapNodeExpanded e:
                Nodes[e.NodeId].Expanded(e.Count);
                break;
            case MapElementsStarted e:
                Nodes[e.NodeId].ElementsStarted(e.First, e.Count);
                break;
            case MapElementEnded e:
                Nodes[e.NodeId].ElementEnded(e.Index, new MapElementState(e.Phase, e.OutputsJson, e.Error, e.CacheHit));
                break;
            case ExecutionFailing e:
                Phase = WorkflowPhase.Failing;
                Error = e.Error;
                break;
            case ExecutionAborting e:
                Phase = WorkflowPhase.Aborting;
                Error = e.Reason;
                break;
            case ExecutionSucceeded e:
                Phase = WorkflowPhase.Succeeded;
                OutputsJson = e.OutputsJson;
                FinishedAt = e.Meta.At;
                break;
            case ExecutionFailed e:
                Phase = WorkflowPhase.Failed;
                Error = e.Error;
                FinishedAt = e.Meta.At;
                break;
            case ExecutionAborted e:
                Phase = WorkflowPhase.Aborted;
                Error = e.Reason;
                FinishedAt = e.Meta.At;
                break;
            case ExecutionTimedOut e:
                Phase = WorkflowPhase.TimedOut;
                Error = $"the workflow did not finish within its timeout of {e.Timeout}";
                FinishedAt = e.Meta.At;
                break;
        }
    }
}

[GenerateSerializer, Alias("flyte.NodeExecutionState")]
public sealed class NodeExecutionState
{
    [Id(0)] public required string NodeId { get; init; }
    [Id(1)] public TaskPhase Phase { get; private set; } = TaskPhase.NotReady;
    [Id(2)] public string? InputsJson { get; private set; }
    [Id(3)] public string? OutputsJson { get; private set; }
    [Id(4)] public string? Error { get; private set; }
    [Id(5)] public bool CacheHit { get; private set; }
    [Id(6)] public string? RecoveredFrom { get; private set; }
    [Id(7)] public DateTimeOffset? ReadyAt { get; private set; }
    [Id(8)] public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>A map node's elements, once it is ready.</summary>
    [Id(9)] public MapProgress? Map { get; private set; }

    /// <summary>Skipped because this branch took another case (see <see cref="NodeSkipped.NotTakenBy"/>).</summary>
    [Id(10)] public string? NotTakenBy { get; private set; }

    /// <summary>Handed to its task grain (or, for a map node, its elements' task grains) and not yet finished.</summary>
    public bool IsActive => Phase == TaskPhase.Queued;

    /// <summary>Every member is immutable (<see cref="MapProgress"/> too), so a member-wise copy is a full one.</summary>
    internal NodeExecutionState Copy() => (NodeExecutionState)MemberwiseClone();

    internal void Ready(string inputs, DateTimeOffset at)
    {
        Phase = TaskPhase.Queued;
        InputsJson = inputs;
        ReadyAt = at;
    }

    internal void Succeeded(string outputs, bool cacheHit, string? recoveredFrom, DateTimeOffset at)
    {
        Phase = TaskPhase.Succeeded;
        OutputsJson = outputs;
        CacheHit = cacheHit;
        RecoveredFrom = recoveredFrom;
        FinishedAt = at;
    }

    internal void Failed(TaskPhase phase, string error, DateTimeOffset at)
    {
        Phase = phase;
        Error = error;
        FinishedAt = at;
    }

    internal void Expanded(int count) => Map = MapProgress.Empty(count);

    internal void ElementsStarted(int first, int count) => Map = Map?.Start(first, count);

    internal void ElementEnded(int index, MapElementState element) => Map = Map?.End(index, element);

    internal void Skipped(string reason, string? notTakenBy, DateTimeOffset at)
    {
        NotTakenBy = notTakenBy;
        Phase = TaskPhase.Skipped;
        Error = reason;
        FinishedAt = at;
    }
}

/// <summary>
/// Where a map node's elements stand. Immutable (updates return a new value over persistent collections), so the
/// decider's per-step copy of the state is cheap however long the list is. Elements start in index order, so the ones
/// started are exactly <c>0 .. Started - 1</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("flyte.MapProgress")]
public sealed record MapProgress(
    [property: Id(0)] int Count,
    [property: Id(1)] int Started,
    [property: Id(2)] int Ended,
    [property: Id(3)] int Succeeded,
    [property: Id(4)] ImmutableDictionary<int, MapElementState> Elements)
{
    public static MapProgress Empty(int count) => new(count, 0, 0, 0, ImmutableDictionary<int, MapElementState>.Empty);

    /// <summary>Started and not yet ended: what counts against the node's concurrency.</summary>
    public int InFlight => Started - Ended;

    public int Failed => Ended - Succeeded;

    public IEnumerable<int> InFlightIndexes => Elements.Where(e => e.Value.Phase == TaskPhase.Queued).Select(e => e.Key).Order();

    public bool IsInFlight(int index) => Elements.TryGetValue(index, out var e) && e.Phase == TaskPhase.Queued;

    public MapElementState Element(int index) => Elements.TryGetValue(index, out var e) ? e : MapElementState.NotStarted;

    internal MapProgress Start(int first, int count)
    {
        var elements = Elements.ToBuilder();
        for (var i = first; i < first + count; i++)
        {
            elements[i] = MapElementState.Running;
        }

        return this with { Started = Math.Max(Started, first + count), Elements = elements.ToImmutable() };
    }

    internal MapProgress End(int index, MapElementState element) => IsInFlight(index)
        ? this with
        {
            Ended = Ended + 1,
            Succeeded = Succeeded + (element.Phase == TaskPhase.Succeeded ? 1 : 0),
            Elements = Elements.SetItem(index, element),
        }
        : this;
}

/// <summary>One element of a map node: Queued while its task runs, then how it ended.</summary>
[GenerateSerializer, Immutable, Alias("flyte.MapElementState")]
public sealed record MapElementState(
    [property: Id(0)] TaskPhase Phase,
    [property: Id(1)] string? OutputsJson,
    [property: Id(2)] string? Error,
    [property: Id(3)] bool CacheHit)
{
    public static readonly MapElementState NotStarted = new(TaskPhase.NotReady, null, null, false);
    public static readonly MapElementState Running = new(TaskPhase.Queued, null, null, false);
}
