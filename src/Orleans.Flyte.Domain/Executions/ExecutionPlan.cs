using System.Text.Json.Serialization;

namespace Orleans.Flyte.Domain.Executions;

/// <summary>
/// What an execution runs, pinned at launch: the workflow version and the exact spec of every task version
/// it uses. Stored in <see cref="ExecutionAccepted"/>, so an execution never changes when new versions are
/// registered, and an audit can show exactly what ran.
/// </summary>
[GenerateSerializer, Immutable, Alias("flyte.ExecutionPlan")]
public sealed record ExecutionPlan(
    [property: Id(0)] string WorkflowName,
    [property: Id(1)] string WorkflowVersion,
    [property: Id(2)] bool FinishWhatCanFinish,
    [property: Id(3)] TimeSpan? Timeout,
    [property: Id(4)] IReadOnlyList<PlanNode> Nodes,
    [property: Id(5)] IReadOnlyDictionary<string, string> Outputs)
{
    public PlanNode Node(string id) => Nodes.First(n => string.Equals(n.Id, id, StringComparison.Ordinal));
}

/// <param name="Task">The pinned task, <c>name@version</c>.</param>
/// <param name="TaskSpec">The task version's normalized spec (canonical JSON).</param>
/// <param name="Inputs">Input name → binding as written (canonical JSON of the literal or template).</param>
/// <param name="Upstream">Nodes that must succeed first (from bindings and <c>after</c>).</param>
/// <param name="Map">Set for a map node. Left out of the JSON when null, so plans stored before map nodes existed hash
/// as they did (the plan is part of <see cref="ExecutionAccepted"/>, which is hash-chained).</param>
[GenerateSerializer, Immutable, Alias("flyte.PlanNode")]
public sealed record PlanNode(
    [property: Id(0)] string Id,
    [property: Id(1)] string Task,
    [property: Id(2)] string TaskSpec,
    [property: Id(3)] IReadOnlyDictionary<string, string> Inputs,
    [property: Id(4)] IReadOnlyList<string> Upstream,
    [property: Id(5), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] MapPlan? Map = null,
    [property: Id(6), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BranchPlan? Branch = null,
    [property: Id(7), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ChildPlan? Child = null);

/// <summary>
/// A sub-workflow or launch-plan node as it runs (issue 17): the child's whole plan, pinned when the parent was submitted
/// (so it never floats, like the task specs), and the inputs the child gets before the node's own bindings are laid over
/// them (the workflow's defaults; for a launch plan also its default and fixed inputs, which a node may not bind).
/// </summary>
/// <param name="Kind"><see cref="SubWorkflow"/> (part of this execution) or <see cref="LaunchPlanKind"/> (a linked execution
/// that carries the launch plan's name).</param>
/// <param name="Reference">The pinned <c>name@version</c> of the workflow or launch plan.</param>
/// <param name="BaseInputsJson">A JSON object with every input of the child workflow (null where it has no value).</param>
[GenerateSerializer, Immutable, Alias("flyte.ChildPlan")]
public sealed record ChildPlan(
    [property: Id(0)] string Kind,
    [property: Id(1)] string Reference,
    [property: Id(2)] ExecutionPlan Plan,
    [property: Id(3)] string BaseInputsJson)
{
    public const string SubWorkflow = "workflow";
    public const string LaunchPlanKind = "launchplan";

    public bool IsLaunchPlan => Kind == LaunchPlanKind;
}

/// <summary>A branch node as it runs: see <see cref="Specs.BranchSpec"/>. Conditions are stored as written and parsed
/// when the branch is ready (they were parsed and type-checked at registration).</summary>
[GenerateSerializer, Immutable, Alias("flyte.BranchPlan")]
public sealed record BranchPlan([property: Id(0)] IReadOnlyList<BranchPlanCase> Cases);

/// <param name="Condition">The condition text; null for <c>else</c>.</param>
[GenerateSerializer, Immutable, Alias("flyte.BranchPlanCase")]
public sealed record BranchPlanCase([property: Id(0)] string? Condition, [property: Id(1)] string Then);

/// <summary>A map node as it runs: see <see cref="Specs.MapSpec"/>.</summary>
/// <param name="Over">The list binding as written (canonical JSON of the literal or reference).</param>
/// <param name="Input">The task input each element is bound to.</param>
[GenerateSerializer, Immutable, Alias("flyte.MapPlan")]
public sealed record MapPlan(
    [property: Id(0)] string Over,
    [property: Id(1)] string Input,
    [property: Id(2)] int Concurrency,
    [property: Id(3)] int? MinSuccess,
    [property: Id(4)] double? MinSuccessRatio)
{
    /// <summary>How many of <paramref name="count"/> elements must succeed for the node to succeed (all, unless set).</summary>
    public int Required(int count) => MinSuccess
        ?? (MinSuccessRatio is { } ratio ? (int)Math.Ceiling(Math.Round(ratio * count, 9)) : count);
}
