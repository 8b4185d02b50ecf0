using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Abstractions.Submissions;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Grains.Submissions;

/// <summary>
/// Sub-workflow and launch-plan nodes (issue 17): resolving what they run, recursively (a child's plan carries its own
/// children's plans, so a plan is pinned whole at submission), and what a recover reuses inside failed children.
/// </summary>
public sealed partial class ExecutionSubmissions
{
    public Task<IReadOnlyDictionary<string, ResolvedChild>> ResolveChildrenAsync(
        string project, string domain, WorkflowSpec workflow, IReadOnlyDictionary<string, string>? pins) =>
        ResolveChildrenAsync(project, domain, workflow, pins, depth: 0);

    private async Task<IReadOnlyDictionary<string, ResolvedChild>> ResolveChildrenAsync(
        string project, string domain, WorkflowSpec workflow, IReadOnlyDictionary<string, string>? pins, int depth)
    {
        // Each distinct reference is resolved once, however many nodes use it: nodes sharing a child share its resolution,
        // so resolving costs the distinct workflows of the tree, not every path through it.
        var nodes = workflow.Nodes.Where(n => n.IsChild).Select(node =>
        {
            var reference = pins is not null && pins.TryGetValue(ResolvedChild.PinKey(node), out var pin)
                ? TaskReference.Parse(pin)
                : node.Workflow ?? node.LaunchPlan!;
            return (node.Id, Key: (node.Workflow is not null, reference.ToString()), Reference: reference);
        }).ToList();
        var distinct = nodes.DistinctBy(n => n.Key).ToList();
        var resolved = await Task.WhenAll(distinct.Select(async n => n.Key.Item1
            ? await SubWorkflow(project, domain, n.Reference, depth)
            : await LaunchPlan(project, domain, n.Reference, depth)));
        var byKey = distinct.Select(n => n.Key).Zip(resolved).ToDictionary(r => r.First, r => r.Second);
        return nodes.Where(n => byKey[n.Key] is not null).ToDictionary(n => n.Id, n => byKey[n.Key]!, StringComparer.Ordinal);
    }

    private async Task<ResolvedChild?> SubWorkflow(string project, string domain, TaskReference reference, int depth)
    {
        if (await ResolveAsync(project, domain, reference, depth + 1) is not { } workflow)
        {
            return null;
        }

        return new ResolvedChild(workflow.Pinned, workflow.Interface with { Describe = $"workflow '{workflow.Pinned}'" },
            new ChildPlan(ChildPlan.SubWorkflow, workflow.Pinned, workflow.Plan, BaseInputs(workflow.Workflow, [], []).ToJsonString()));
    }

    /// <summary>The version named, or else the active one, or else the latest not archived; its pinned workflow, with the
    /// plan's fixed inputs taken out of the interface (a node may not bind them) and its defaults making inputs optional.</summary>
    private async Task<ResolvedChild?> LaunchPlan(string project, string domain, TaskReference reference, int depth)
    {
        if (Names.Dns1123LabelError(reference.Name) is not null
            || await grains.GetGrain<ILaunchPlanGrain>(DefinitionKey.Of(project, domain, reference.Name)).Get() is not { } plan)
        {
            return null;
        }

        var usable = plan.Versions.Where(v => v.Status != LaunchPlanStatus.Archived).ToList();
        var version = reference.Version is { } wanted
            ? usable.FirstOrDefault(v => v.Version == wanted)
            : usable.FirstOrDefault(v => v.Version == plan.ActiveVersion) ?? usable.MaxBy(v => v.RegisteredAt);
        if (version is null || await ResolveAsync(project, domain, TaskReference.Parse(version.Workflow), depth + 1) is not { } workflow)
        {
            return null;
        }

        var spec = StoredSpec.LaunchPlan(version.Spec);
        var inputs = workflow.Workflow.Inputs
            .Where(i => !spec.FixedInputs.ContainsKey(i.Key))
            .ToDictionary(
                i => i.Key,
                i => spec.DefaultInputs.TryGetPropertyValue(i.Key, out var value) && value is not null ? i.Value with { Default = value.DeepClone() } : i.Value,
                StringComparer.Ordinal);
        var pinned = $"{reference.Name}@{version.Version}";
        var face = workflow.Interface with { Describe = $"launch plan '{pinned}' (workflow '{workflow.Pinned}')", Inputs = inputs };
        return new ResolvedChild(pinned, face, new ChildPlan(ChildPlan.LaunchPlanKind, pinned, workflow.Plan,
            BaseInputs(workflow.Workflow, spec.DefaultInputs, spec.FixedInputs).ToJsonString()));
    }

    /// <summary>Every input of the workflow: its default, then a launch plan's default, then its fixed value (null where none).</summary>
    private static JsonObject BaseInputs(WorkflowSpec workflow, JsonObject planDefaults, JsonObject planFixed)
    {
        var inputs = new JsonObject();
        foreach (var (name, parameter) in workflow.Inputs)
        {
            inputs[name] = (planFixed[name] ?? planDefaults[name] ?? parameter.Default)?.DeepClone();
        }

        return inputs;
    }

    /// <summary>A workflow version's interface: its inputs, each output's type, the names it contains, its depth.</summary>
    private static WorkflowInterface Interface(
        WorkflowSpec spec, IReadOnlyDictionary<string, string> pins, Dictionary<string, string> taskSpecs, IReadOnlyDictionary<string, ResolvedChild> children)
    {
        var outputs = WorkflowValidator.OutputTypes(
            spec,
            task => pins.TryGetValue(task.ToString(), out var pin) && taskSpecs.TryGetValue(pin, out var text) ? StoredSpec.Task(text) : null,
            node => children.TryGetValue(node.Id, out var child) ? child.Interface : null);
        var contains = new HashSet<string>(children.Values.SelectMany(c => c.Interface.Contains), StringComparer.Ordinal) { spec.Name };
        var depth = children.Count == 0 ? 0 : 1 + children.Values.Max(c => c.Interface.Depth);
        var planNodes = spec.Nodes.Count + spec.Nodes.Sum(n => children.TryGetValue(n.Id, out var child) ? child.Interface.PlanNodes : 0);
        return new WorkflowInterface($"workflow '{spec.Name}@{spec.Version}'", spec.Inputs, outputs, contains, depth, planNodes);
    }

    /// <summary>Every task node of a plan and of the plans nested in it, ids prefixed with the path of child nodes.</summary>
    private static IEnumerable<PlanNode> TaskNodes(ExecutionPlan plan, string prefix) => plan.Nodes.SelectMany(n =>
        n.Child is { } child ? TaskNodes(child.Plan, $"{prefix}{n.Id}/")
        : n.Branch is not null ? [] // runs no task
        : [n with { Id = prefix + n.Id }]);

    /// <summary>
    /// What a recover reuses: the outputs of every node that succeeded; of a map that did not, the elements that did
    /// (<c>node[i]</c>); of a child execution that did not, whatever succeeded inside it (<c>node/inner</c>, recursively),
    /// handed to the new child when it is created.
    /// </summary>
    private async Task CollectRecovered(string project, string domain, ExecutionView view, string prefix, Dictionary<string, string> recovered, int depth)
    {
        foreach (var node in view.Nodes.Where(n => n.Phase == TaskPhase.Succeeded && n.OutputsJson is not null))
        {
            recovered[prefix + node.NodeId] = node.OutputsJson!;
        }

        foreach (var element in view.Nodes.Where(n => n.Phase != TaskPhase.Succeeded).SelectMany(n => n.Elements ?? [])
            .Where(e => e.Phase == TaskPhase.Succeeded && e.OutputsJson is not null))
        {
            recovered[prefix + element.NodeId] = element.OutputsJson!;
        }

        if (depth >= WorkflowInterface.MaxDepth)
        {
            return;
        }

        foreach (var node in view.Nodes.Where(n => n.Phase != TaskPhase.Succeeded && n.ChildExecutionId is not null))
        {
            if (await grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(project, domain, node.ChildExecutionId!)).Get() is { } child)
            {
                await CollectRecovered(project, domain, child, $"{prefix}{node.NodeId}/", recovered, depth + 1);
            }
        }
    }
}
