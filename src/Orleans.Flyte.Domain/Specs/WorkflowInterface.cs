namespace Orleans.Flyte.Domain.Specs;

/// <summary>
/// What a sub-workflow or launch-plan node sees of the registered workflow it runs (issue 17): the inputs it may bind
/// (for a launch plan: the workflow's inputs less the plan's fixed ones, its defaults making them optional), the type of
/// every output, the workflow names it contains at any depth (itself included: a workflow may not contain itself,
/// directly or through others) and how deep its own children nest.
/// </summary>
/// <param name="Describe">How messages name it: <c>workflow 'prep@v1'</c> or <c>launch plan 'nightly@v2'</c>.</param>
public sealed record WorkflowInterface(
    string Describe,
    IReadOnlyDictionary<string, ParameterSpec> Inputs,
    IReadOnlyDictionary<string, ParameterType> Outputs,
    IReadOnlySet<string> Contains,
    int Depth)
{
    /// <summary>How deep child executions may nest: a workflow with a sub-workflow has depth 1, and so on. Bounded so a
    /// plan (which carries every nested plan) stays small and a chain of children can always be walked.</summary>
    public const int MaxDepth = 10;
}

/// <summary>The interface a node's bindings are checked against: a task's, or a child workflow's.</summary>
internal sealed record NodeInterface(string Describe, IReadOnlyDictionary<string, ParameterSpec> Inputs, IReadOnlyDictionary<string, ParameterType> Outputs)
{
    public static NodeInterface Of(TaskSpec task) =>
        new($"task '{task.Name}@{task.Version}'", task.Inputs, task.Outputs.ToDictionary(o => o.Key, o => o.Value.Type, StringComparer.Ordinal));

    public static NodeInterface Of(WorkflowInterface workflow) => new(workflow.Describe, workflow.Inputs, workflow.Outputs);
}
