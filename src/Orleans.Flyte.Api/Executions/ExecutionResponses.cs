using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Api.Executions;

/// <summary>An execution as the API shows it: the workflow's view joined with each node's task view (attempts, waiting reason).</summary>
public static class ExecutionResponses
{
    public static string Location(string project, string domain, string id) => $"/api/v1/projects/{project}/domains/{domain}/executions/{id}";

    /// <param name="withAttempts">False right after a submission: nothing has run yet, so the task grains are not asked.</param>
    public static async Task<ExecutionResponse> Of(ExecutionView view, IClusterClient grains, bool withAttempts = true)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(grains);
        var tasks = withAttempts
            ? await Task.WhenAll(view.Nodes.Select(async n => RanItsTask(n) && n.Elements is null ? await TaskView(grains, view, n.NodeId) : null))
            : new TaskExecutionView?[view.Nodes.Count];
        var elementTasks = withAttempts ? await ElementTasks(view, grains) : null;
        return Of(view, tasks, elementTasks);
    }

    /// <summary>The response from the execution's view and its nodes' task views (in the view's node order), as the live
    /// grains gave them or as an audit replay folded them at an instant: both answers come from this one function.</summary>
    /// <param name="elementTasks">The task views of map elements by their node id (<c>node[i]</c>); without them elements show no attempts.</param>
    public static ExecutionResponse Of(ExecutionView view, IReadOnlyList<TaskExecutionView?> nodeTasks, IReadOnlyDictionary<string, TaskExecutionView>? elementTasks = null)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(nodeTasks);
        var tasks = view.Nodes.Select((n, i) => RanItsTask(n) && n.Elements is null ? nodeTasks[i] : null).ToList();
        var elements = view.Nodes.Select(n => Elements(n, elementTasks)).ToList();
        return new ExecutionResponse(
            view.ExecutionId, view.Project, view.Domain, view.Workflow, view.Phase.ToString(), Parse(view.InputsJson), Parse(view.OutputsJson), view.Error,
            view.CreatedAt, view.CreatedBy, view.StartedAt, view.FinishedAt, view.RelaunchOf, view.RecoverOf, view.LaunchPlan, view.ScheduledAt,
            [.. view.Nodes.Select((n, i) => new NodeResponse(
                n.NodeId, n.Task, NodePhase(n, tasks[i]).ToString(), Parse(n.InputsJson), Parse(n.OutputsJson), n.Error, n.CacheHit, n.RecoveredFrom, n.ReadyAt, n.FinishedAt,
                Attempts(tasks[i]),
                tasks[i]?.Waiting is { } w ? new WaitingResponse(w.Code, w.Message, w.Position, tasks[i]!.WaitingSince) : null,
                elements[i],
                n.ChildExecutionId))],
            view.Parent is { } parent ? new ExecutionParentResponse(parent.ExecutionId, parent.NodeId) : null);
    }

    /// <summary>The task views of every map element that started, asked of their grains.</summary>
    private static async Task<IReadOnlyDictionary<string, TaskExecutionView>?> ElementTasks(ExecutionView view, IClusterClient grains)
    {
        var started = view.Nodes.SelectMany(n => n.Elements ?? []).Where(e => e.Phase != TaskPhase.NotReady).ToList();
        if (started.Count == 0)
        {
            return null;
        }

        var views = await Task.WhenAll(started.Select(e => TaskView(grains, view, e.NodeId)));
        return views.OfType<TaskExecutionView>().ToDictionary(t => t.NodeId, StringComparer.Ordinal);
    }

    /// <summary>A map node's elements, each with its own task's attempts where its task view is known.</summary>
    private static List<MapElementResponse>? Elements(NodeView node, IReadOnlyDictionary<string, TaskExecutionView>? elementTasks)
    {
        if (node.Elements is not { } elements)
        {
            return null;
        }

        return [.. elements.Select(e =>
        {
            var task = elementTasks?.GetValueOrDefault(e.NodeId);
            return new MapElementResponse(
                e.NodeId, e.Index, (task is { } t && !e.Phase.IsTerminal() && !t.Phase.IsTerminal() ? t.Phase : e.Phase).ToString(), Parse(e.OutputsJson), e.Error, e.CacheHit,
                Attempts(task),
                task?.Waiting is { } w ? new WaitingResponse(w.Code, w.Message, w.Position, task.WaitingSince) : null);
        })];
    }

    private static List<AttemptResponse> Attempts(TaskExecutionView? task) =>
        [.. (task?.Attempts ?? []).Select(a => new AttemptResponse(a.Attempt, a.AttemptId, a.Outcome, a.LaunchedAt, a.StartedAt, a.FinishedAt, a.Error, a.ExitCode,
            a.Gpu is { IsEmpty: false } g ? new GpuGrantResponse(g.Node!, g.DeviceIds, g.ResourceName!) : null))];

    private static Task<TaskExecutionView?> TaskView(IClusterClient grains, ExecutionView view, string taskNodeId) =>
        grains.GetGrain<ITaskExecutionGrain>(ExecutionKeys.Task(view.Project, view.Domain, view.ExecutionId, taskNodeId)).Get();

    /// <summary>Whether the node's task grain holds anything to show (not for nodes not reached, skipped, served from the cache or recovered).</summary>
    private static bool RanItsTask(NodeView n) =>
        !(n.Phase is TaskPhase.NotReady or TaskPhase.Skipped || n.CacheHit || n.RecoveredFrom is not null || n.ChildExecutionId is not null);

    /// <summary>The task's own phase is the more precise one while the workflow still sees the node as running
    /// (e.g. WaitingForResources); once the workflow has decided, its phase stands.</summary>
    private static TaskPhase NodePhase(NodeView node, TaskExecutionView? task) =>
        task is not null && !node.Phase.IsTerminal() && !task.Phase.IsTerminal() ? task.Phase : node.Phase;

    private static JsonNode? Parse(string? json) => json is null ? null : JsonNode.Parse(json);
}
