using System.Text.Json;
using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Domain.Tests.Executions;

/// <summary>
/// Plays the grain's part around <see cref="WorkflowStep"/> without a silo: asks for a decision, then folds its events
/// into the state exactly as the grain's confirm does. The clock is a field the test moves.
/// </summary>
internal sealed class WorkflowRun
{
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 2, 0, 0, TimeSpan.Zero);

    private WorkflowRun(ExecutionAccepted accepted)
    {
        State.Apply(accepted with { Meta = accepted.Meta with { At = Start, Principal = "alice" } });
    }

    public WorkflowExecutionState State { get; } = new();

    public DateTimeOffset Now { get; set; } = Start;

    public static WorkflowRun Of(
        IReadOnlyList<PlanNode> nodes,
        string inputsJson = "{}",
        IReadOnlyDictionary<string, string>? outputs = null,
        bool finishWhatCanFinish = false,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? recoveredOutputs = null,
        string? recoverOf = null)
    {
        var plan = new ExecutionPlan("train", "v1", finishWhatCanFinish, timeout, nodes, outputs ?? new Dictionary<string, string>());
        return new WorkflowRun(new ExecutionAccepted(
            "e1", "quant", "development", plan, inputsJson, "hash", null, false, null, recoverOf, null, null,
            recoveredOutputs ?? new Dictionary<string, string>()));
    }

    /// <summary>A task node; <paramref name="inputs"/> are bindings as written (<c>{{ nodes.a.outputs.x }}</c>, or a literal text).</summary>
    public static PlanNode Node(string id, string[]? after = null, params (string Name, string Binding)[] inputs) => new(
        id,
        "noop@v1",
        "{}",
        inputs.ToDictionary(i => i.Name, i => JsonSerializer.Serialize(i.Binding), StringComparer.Ordinal),
        after ?? []);

    /// <summary>Decides, and confirms what was decided (the grain's raise + confirm).</summary>
    public WorkflowDecision Step(WorkflowTrigger trigger)
    {
        var decision = WorkflowStep.Decide(State, trigger, Now);
        foreach (var @event in decision.Events)
        {
            State.Apply(@event);
        }

        return decision;
    }

    public WorkflowDecision Drive() => Step(WorkflowTrigger.Drive.Tick);

    public WorkflowDecision Succeed(string nodeId, string outputsJson = "{}", bool cacheHit = false) =>
        Step(new WorkflowTrigger.NodeCompleted(new NodeOutcome(nodeId, TaskPhase.Succeeded, outputsJson, CacheHit: cacheHit)));

    public WorkflowDecision Fail(string nodeId, string error, TaskPhase phase = TaskPhase.Failed) =>
        Step(new WorkflowTrigger.NodeCompleted(new NodeOutcome(nodeId, phase, Error: error)));

    /// <summary>The grain's second half of a stop: every node it names answers that it was aborted.</summary>
    public WorkflowDecision Stopped(WorkflowStop stop) =>
        Step(new WorkflowTrigger.NodesStopped(stop, [.. stop.Abort.Select(id => new NodeOutcome(id, TaskPhase.Aborted))]));

    public TaskPhase PhaseOf(string nodeId) => State.Nodes[nodeId].Phase;
}
