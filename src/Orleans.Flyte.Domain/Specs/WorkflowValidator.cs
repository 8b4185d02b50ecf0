namespace Orleans.Flyte.Domain.Specs;

/// <summary>
/// Checks a structurally valid workflow against the tasks and workflows it uses: references resolve, every required
/// input is bound, bound names exist on both ends, types line up, the graph has no cycle, and no workflow contains
/// itself through its sub-workflow or launch-plan nodes.
/// </summary>
public static class WorkflowValidator
{
    /// <param name="resolveChild">A sub-workflow or launch-plan node's interface; null when it names nothing registered.</param>
    public static IReadOnlyList<SpecError> Validate(
        WorkflowSpec workflow, Func<TaskReference, TaskSpec?> resolve, Func<NodeSpec, WorkflowInterface?>? resolveChild = null)
    {
        var errors = new List<SpecError>();
        var tasks = Interfaces(workflow, resolve, resolveChild, errors);
        for (var i = 0; i < workflow.Nodes.Count; i++)
        {
            var node = workflow.Nodes[i];
            if (node.Branch is { } branch)
            {
                CheckBranch(branch, $"/nodes/{i}/branch", workflow, tasks, errors);
            }

            if (!tasks.TryGetValue(node.Id, out var task))
            {
                continue;
            }

            var pointer = $"/nodes/{i}/inputs";
            foreach (var (name, binding) in node.Inputs)
            {
                var at = JsonPointer.Append(pointer, name);
                if (!task.Inputs.TryGetValue(name, out var target))
                {
                    errors.Add(new SpecError(at, $"{task.Describe} has no input '{name}'; its inputs are: {WorkflowSpecReader.List(task.Inputs.Keys)}"));
                    continue;
                }

                CheckBinding(binding, target.Type, at, workflow, tasks, errors);
            }

            if (node.Map is { } map)
            {
                CheckMap(map, task, $"/nodes/{i}/map", workflow, tasks, errors);
            }

            var missing = task.Inputs.Where(p => p.Value.Required && !node.Inputs.ContainsKey(p.Key) && p.Key != node.Map?.Input).Select(p => p.Key).ToList();
            if (missing.Count > 0)
            {
                errors.Add(new SpecError(pointer, $"node '{node.Id}' does not bind required input{(missing.Count == 1 ? string.Empty : "s")} {string.Join(", ", missing.Select(m => $"'{m}' ({task.Inputs[m].Type})"))} of {task.Describe}"));
            }
        }

        foreach (var (name, binding) in workflow.Outputs)
        {
            CheckBinding(binding, new ParameterType(ParameterKind.Json), JsonPointer.Append("/outputs", name), workflow, tasks, errors);
        }

        if (FindCycle(workflow) is { } cycle)
        {
            var index = workflow.Nodes.ToList().FindIndex(n => n.Id == cycle[0]);
            errors.Add(new SpecError($"/nodes/{index}", $"the workflow has a cycle: {string.Join(" -> ", cycle)}; a node cannot depend on itself, directly or through others"));
        }

        return errors;
    }

    /// <summary>
    /// The type of each output of a workflow whose references all resolve (a registered version): a whole reference has
    /// its source's type, text with bindings inside is a string, a literal is json. What a sub-workflow node's downstream
    /// nodes are checked against.
    /// </summary>
    public static IReadOnlyDictionary<string, ParameterType> OutputTypes(
        WorkflowSpec workflow, Func<TaskReference, TaskSpec?> resolve, Func<NodeSpec, WorkflowInterface?>? resolveChild = null)
    {
        var errors = new List<SpecError>();
        var tasks = Interfaces(workflow, resolve, resolveChild, errors);
        var json = new ParameterType(ParameterKind.Json);
        return workflow.Outputs.ToDictionary(o => o.Key, o => o.Value switch
        {
            { IsWholeReference: true } b => SourceType(b.References[0], workflow, tasks, string.Empty, errors) ?? json,
            { IsTemplate: true } => new ParameterType(ParameterKind.String),
            _ => json,
        }, StringComparer.Ordinal);
    }

    /// <summary>The interface of every node that runs something: its task's, or its child workflow's. Unknown references,
    /// sub-workflow cycles and nesting too deep are reported here.</summary>
    private static Dictionary<string, NodeInterface> Interfaces(
        WorkflowSpec workflow, Func<TaskReference, TaskSpec?> resolve, Func<NodeSpec, WorkflowInterface?>? resolveChild, List<SpecError> errors)
    {
        var tasks = new Dictionary<string, NodeInterface>(StringComparer.Ordinal);
        var planNodes = workflow.Nodes.Count;
        for (var i = 0; i < workflow.Nodes.Count; i++)
        {
            var node = workflow.Nodes[i];
            if (node.IsChild)
            {
                var (field, what, reference) = node.Workflow is { } w ? ("workflow", "workflow", w) : ("launchplan", "launch plan", node.LaunchPlan!);
                var at = $"/nodes/{i}/{field}";
                if (node.Workflow is not null && string.Equals(reference.Name, workflow.Name, StringComparison.Ordinal))
                {
                    errors.Add(new SpecError(at, $"workflow '{workflow.Name}' cannot run itself as a sub-workflow: that is a cycle ({workflow.Name} -> {workflow.Name})"));
                    continue;
                }

                if (resolveChild?.Invoke(node) is not { } child)
                {
                    errors.Add(new SpecError(at, $"{what} '{reference}' is not registered in this project/domain"));
                    continue;
                }

                if (child.Contains.Contains(workflow.Name))
                {
                    errors.Add(new SpecError(at, $"{child.Describe} contains workflow '{workflow.Name}' (directly or through its own sub-workflows or launch plans), so running it here is a cycle: {workflow.Name} -> {reference.Name} -> … -> {workflow.Name}"));
                    continue;
                }

                if (child.Depth + 1 > WorkflowInterface.MaxDepth)
                {
                    errors.Add(new SpecError(at, $"{child.Describe} nests {child.Depth} levels deep; with this node it would be {child.Depth + 1}, and at most {WorkflowInterface.MaxDepth} are allowed"));
                    continue;
                }

                planNodes += child.PlanNodes;
                if (planNodes > WorkflowInterface.MaxPlanNodes)
                {
                    errors.Add(new SpecError(at, $"{child.Describe} holds {child.PlanNodes} nodes with its own children; with the nodes before it this workflow's plan would hold {planNodes}, and at most {WorkflowInterface.MaxPlanNodes} are allowed (every use of a sub-workflow or launch plan counts its nodes again)"));
                    continue;
                }

                tasks[node.Id] = NodeInterface.Of(child);
                continue;
            }

            if (node.Task is null)
            {
                continue; // a branch node
            }

            var task = resolve(node.Task);
            if (task is null)
            {
                errors.Add(new SpecError(
                    $"/nodes/{i}/task",
                    node.Task.Version is null
                        ? $"task '{node.Task.Name}' is not registered in this project/domain"
                        : $"task '{node.Task}' is not registered in this project/domain"));
                continue;
            }

            tasks[node.Id] = NodeInterface.Of(task);
        }

        return tasks;
    }

    private static void CheckBinding(
        Binding binding, ParameterType target, string at, WorkflowSpec workflow, Dictionary<string, NodeInterface> tasks, List<SpecError> errors)
    {
        if (binding.IsLiteral)
        {
            if (!target.Accepts(binding.Literal, out var reason))
            {
                errors.Add(new SpecError(at, $"the value does not fit the input's type {target}: {reason}"));
            }

            return;
        }

        foreach (var reference in binding.References)
        {
            var source = SourceType(reference, workflow, tasks, at, errors);
            if (source is null)
            {
                continue;
            }

            if (binding.IsWholeReference)
            {
                if (!target.IsAssignableFrom(source))
                {
                    errors.Add(new SpecError(at, $"'{{{{ {reference} }}}}' is a {source}, but the input is a {target}"));
                }
            }
            else if (!source.IsScalar)
            {
                errors.Add(new SpecError(at, $"'{{{{ {reference} }}}}' is a {source}; only single values can be put inside text"));
            }
        }

        if (binding.IsTemplate && !target.IsAssignableFrom(new ParameterType(ParameterKind.String)))
        {
            errors.Add(new SpecError(at, $"text with bindings inside is a string, but the input is a {target}"));
        }
    }

    /// <summary>Each condition type-checks: comparisons of one type (int and float mix), and booleans where a condition is.</summary>
    private static void CheckBranch(BranchSpec branch, string pointer, WorkflowSpec workflow, Dictionary<string, NodeInterface> tasks, List<SpecError> errors)
    {
        for (var j = 0; j < branch.Cases.Count; j++)
        {
            if (branch.Cases[j].Condition is not { } condition)
            {
                continue;
            }

            var at = JsonPointer.Append(JsonPointer.Append(pointer, j), j == 0 ? "if" : "elif");
            if (condition.TypeError(reference => SourceType(reference, workflow, tasks, at, errors)) is { } error)
            {
                errors.Add(new SpecError(at, error));
            }
        }
    }

    /// <summary>A map node's list: its elements must fit the task input they are bound to, and it must be a list.</summary>
    private static void CheckMap(MapSpec map, NodeInterface task, string pointer, WorkflowSpec workflow, Dictionary<string, NodeInterface> tasks, List<SpecError> errors)
    {
        if (!task.Inputs.TryGetValue(map.Input, out var target))
        {
            errors.Add(new SpecError(JsonPointer.Append(pointer, "input"),
                $"{task.Describe} has no input '{map.Input}' to take each element; its inputs are: {WorkflowSpecReader.List(task.Inputs.Keys)}"));
            return;
        }

        var at = JsonPointer.Append(pointer, "over");
        var list = new ParameterType(ParameterKind.List, target.Type);
        if (map.Over.IsLiteral)
        {
            if (!list.Accepts(map.Over.Literal, out var reason))
            {
                errors.Add(new SpecError(at, $"the list does not fit the input's type {target.Type}: {reason}"));
            }

            return;
        }

        var reference = map.Over.References[0];
        var source = SourceType(reference, workflow, tasks, at, errors);
        if (source is null || source.Kind == ParameterKind.Json)
        {
            return; // unknown (reported elsewhere), or json: checked when the node becomes ready
        }

        if (source.Kind != ParameterKind.List || source.Element is null)
        {
            errors.Add(new SpecError(at, $"a map node maps over a list, but '{{{{ {reference} }}}}' is {ParameterType.Article(source)}"));
        }
        else if (!target.Type.IsAssignableFrom(source.Element))
        {
            errors.Add(new SpecError(at, $"'{{{{ {reference} }}}}' is a {source}, but each element goes to input '{map.Input}', which is a {target.Type}"));
        }
    }

    private static ParameterType? SourceType(
        BindingReference reference, WorkflowSpec workflow, Dictionary<string, NodeInterface> tasks, string at, List<SpecError> errors)
    {
        if (reference.Source == BindingSource.Input)
        {
            return workflow.Inputs.TryGetValue(reference.Name, out var input) ? input.Type : null; // the reader reported unknown inputs
        }

        if (!tasks.TryGetValue(reference.NodeId!, out var upstream))
        {
            return null; // unknown node (reader) or unresolved task (reported above)
        }

        if (upstream.Outputs.TryGetValue(reference.Name, out var output))
        {
            // A map node's outputs are lists in element order (null where an element failed).
            var mapped = workflow.Nodes.Any(n => n.Id == reference.NodeId && n.Map is not null);
            return mapped ? new ParameterType(ParameterKind.List, output) : output;
        }

        errors.Add(new SpecError(at, $"node '{reference.NodeId}' ({upstream.Describe}) has no output '{reference.Name}'; its outputs are: {WorkflowSpecReader.List(upstream.Outputs.Keys)}"));
        return null;
    }

    /// <summary>A dependency cycle as a path that starts and ends with the same node, or null.</summary>
    internal static List<string>? FindCycle(WorkflowSpec workflow)
    {
        var upstream = workflow.Nodes.ToDictionary(n => n.Id, n => workflow.UpstreamOf(n).ToList(), StringComparer.Ordinal);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the stack, 2 = done
        var stack = new List<string>();

        List<string>? Visit(string id)
        {
            state[id] = 1;
            stack.Add(id);
            foreach (var next in upstream.GetValueOrDefault(id) ?? [])
            {
                if (!upstream.ContainsKey(next))
                {
                    continue;
                }

                if (state.GetValueOrDefault(next) == 1)
                {
                    // Report in execution order: the cycle as "a -> b -> a", where b runs after a.
                    var cycle = stack[stack.IndexOf(next)..];
                    cycle.Reverse();
                    cycle.Add(cycle[0]);
                    return cycle;
                }

                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } found)
                {
                    return found;
                }
            }

            stack.RemoveAt(stack.Count - 1);
            state[id] = 2;
            return null;
        }

        foreach (var node in workflow.Nodes)
        {
            if (state.GetValueOrDefault(node.Id) == 0 && Visit(node.Id) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }
}
