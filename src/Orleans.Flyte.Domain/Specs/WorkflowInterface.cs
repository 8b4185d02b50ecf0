namespace Orleans.Flyte.Domain.Specs;

/// <summary>
/// What a sub-workflow or launch-plan node sees of the registered workflow it runs (issue 17): the inputs it may bind
/// (for a launch plan: the workflow's inputs less the plan's fixed ones, its defaults making them optional), the type of
/// every output, the workflow names it contains at any depth (itself included: a workflow may not contain itself,
/// directly or through others), how deep its own children nest, and how many nodes its plan holds with every nested plan
/// counted where it is used (<see cref="MaxPlanNodes"/>).
/// </summary>
/// <param name="Describe">How messages name it: <c>workflow 'prep@v1'</c> or <c>launch plan 'nightly@v2'</c>.</param>
public sealed record WorkflowInterface(
    string Describe,
    IReadOnlyDictionary<string, ParameterSpec> Inputs,
    IReadOnlyDictionary<string, ParameterType> Outputs,
    IReadOnlySet<string> Contains,
    int Depth,
    int PlanNodes)
{
    /// <summary>How deep child executions may nest: a workflow with a sub-workflow has depth 1, and so on. Bounded so a
    /// plan (which carries every nested plan) stays small and a chain of children can always be walked.</summary>
    public const int MaxDepth = 10;

    /// <summary>How many nodes a workflow's plan may hold with every nested plan counted where it is used. The plan is
    /// compiled whole at submission and stored in its first event, and nesting multiplies (ten nodes each running a
    /// workflow of ten nodes each running…), so without this bound one registration could make every submission of it
    /// exhaust a silo.</summary>
    public const int MaxPlanNodes = 1000;
}

/// <summary>The interface a node's bindings are checked against: a task's, or a child workflow's.</summary>
internal sealed record NodeInterface(string Describe, IReadOnlyDictionary<string, ParameterSpec> Inputs, IReadOnlyDictionary<string, ParameterType> Outputs)
{
    public static NodeInterface Of(TaskSpec task) =>
        new($"task '{task.Name}@{task.Version}'", task.Inputs, task.Outputs.ToDictionary(o => o.Key, o => o.Value.Type, StringComparer.Ordinal));

    public static NodeInterface Of(WorkflowInterface workflow) => new(workflow.Describe, workflow.Inputs, workflow.Outputs);
}
