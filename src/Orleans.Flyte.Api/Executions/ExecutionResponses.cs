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
            ? await Task.WhenAll(view.Nodes.Select(async n => n.Phase is TaskPhase.NotReady or TaskPhase.Skipped || n.CacheHit || n.RecoveredFrom is not null || n.Elements is not null
                ? null
                : await TaskView(grains, view, n.NodeId)))
            : new TaskExecutionView?[view.Nodes.Count];
        var elements = await Task.WhenAll(view.Nodes.Select(n => Elements(n, view, grains, withAttempts)));
        return new ExecutionResponse(
            view.ExecutionId, view.Project, view.Domain, view.Workflow, view.Phase.ToString(), Parse(view.InputsJson), Parse(view.OutputsJson), view.Error,
            view.CreatedAt, view.CreatedBy, view.StartedAt, view.FinishedAt, view.RelaunchOf, view.RecoverOf, view.LaunchPlan, view.ScheduledAt,
            [.. view.Nodes.Select((n, i) => new NodeResponse(
                n.NodeId, n.Task, NodePhase(n, tasks[i]).ToString(), Parse(n.InputsJson), Parse(n.OutputsJson), n.Error, n.CacheHit, n.RecoveredFrom, n.ReadyAt, n.FinishedAt,
                Attempts(tasks[i]),
                tasks[i]?.Waiting is { } w ? new WaitingResponse(w.Code, w.Message, w.Position, tasks[i]!.WaitingSince) : null,
                elements[i]))]);
    }

    /// <summary>A map node's elements, each with its own task's attempts (asked of the elements that started).</summary>
    private static async Task<IReadOnlyList<MapElementResponse>?> Elements(NodeView node, ExecutionView view, IClusterClient grains, bool withAttempts)
    {
        if (node.Elements is not { } elements)
        {
            return null;
        }

        var tasks = await Task.WhenAll(elements.Select(async e => withAttempts && e.Phase != TaskPhase.NotReady ? await TaskView(grains, view, e.NodeId) : null));
        return [.. elements.Select((e, i) => new MapElementResponse(
            e.NodeId, e.Index, (tasks[i] is { } t && !e.Phase.IsTerminal() && !t.Phase.IsTerminal() ? t.Phase : e.Phase).ToString(), Parse(e.OutputsJson), e.Error, e.CacheHit,
            Attempts(tasks[i]),
            tasks[i]?.Waiting is { } w ? new WaitingResponse(w.Code, w.Message, w.Position, tasks[i]!.WaitingSince) : null))];
    }

    private static List<AttemptResponse> Attempts(TaskExecutionView? task) =>
        [.. (task?.Attempts ?? []).Select(a => new AttemptResponse(a.Attempt, a.AttemptId, a.Outcome, a.LaunchedAt, a.StartedAt, a.FinishedAt, a.Error, a.ExitCode,
            a.Gpu is { IsEmpty: false } g ? new GpuGrantResponse(g.Node!, g.DeviceIds, g.ResourceName!) : null))];

    private static Task<TaskExecutionView?> TaskView(IClusterClient grains, ExecutionView view, string taskNodeId) =>
        grains.GetGrain<ITaskExecutionGrain>(ExecutionKeys.Task(view.Project, view.Domain, view.ExecutionId, taskNodeId)).Get();

    /// <summary>The task's own phase is the more precise one while the workflow still sees the node as running
    /// (e.g. WaitingForResources); once the workflow has decided, its phase stands.</summary>
    private static TaskPhase NodePhase(NodeView node, TaskExecutionView? task) =>
        task is not null && !node.Phase.IsTerminal() && !task.Phase.IsTerminal() ? task.Phase : node.Phase;

    private static JsonNode? Parse(string? json) => json is null ? null : JsonNode.Parse(json);
}
