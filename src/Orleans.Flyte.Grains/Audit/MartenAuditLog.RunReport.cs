using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Audit;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Registry;

namespace Orleans.Flyte.Grains.Audit;

public sealed partial class MartenAuditLog
{
    public async Task<RunReport?> RunReportAsync(string project, string domain, string executionId, CancellationToken cancellationToken = default)
    {
        var tenant = StreamAddress.TenantOf(project, domain);
        var stream = $"execution/{executionId}";
        var chains = new List<StreamChain>();
        var workflow = new WorkflowExecutionState();
        var tasks = new Dictionary<string, TaskExecutionState>(StringComparer.Ordinal);
        var aborts = new List<RunAbort>();
        var cacheHits = new List<RunCacheHit>();
        await foreach (var (row, _) in Checked(
            "where tenant_id = @tenant and stream_id = @stream order by version",
            p =>
            {
                p.AddWithValue("tenant", tenant);
                p.AddWithValue("stream", stream);
            },
            chains,
            cancellationToken))
        {
            workflow.Apply((WorkflowExecutionEvent)row.Data);
            if (row.Data is ExecutionAborting aborting)
            {
                aborts.Add(new RunAbort(null, row.Data.Meta.Principal, row.Data.Meta.OnBehalfOf, row.Data.Meta.At, aborting.Reason));
            }
        }

        if (workflow.Submission is not { } accepted)
        {
            return null;
        }

        // The node streams (named by the plan), the definitions and the launch plan the run was made from, read (and their
        // chains checked) by key in one query.
        var plan = accepted.Plan;
        var workflowStream = $"workflow/{project}/{domain}/{plan.WorkflowName}";
        var taskNodes = plan.Nodes.Where(n => n.Child is null && n.Branch is null).ToList();
        var taskRefs = taskNodes.Select(n => n.Task).Distinct(StringComparer.Ordinal).Select(Split).ToList();
        var launchPlan = accepted.LaunchPlan is { } lp ? Split(lp) : default;
        var view = ExecutionViews.Of(workflow);

        // A task node's stream, or for a map node each started element's (node[i]) instead.
        var elementsOf = view.Nodes.Where(v => v.Elements is not null).ToDictionary(v => v.NodeId, v => v.Elements!, StringComparer.Ordinal);
        var taskStreams = taskNodes.ToDictionary(
            n => n.Id,
            n => elementsOf.TryGetValue(n.Id, out var elements) ? elements.Select(e => e.NodeId).ToList() : [n.Id],
            StringComparer.Ordinal);
        var related = new List<string> { workflowStream };
        related.AddRange(taskStreams.Values.SelectMany(ids => ids).Select(id => $"{stream}/{id}"));
        related.AddRange(taskRefs.Select(t => $"task/{project}/{domain}/{t.Name}"));

        // Child executions of sub-workflow and launch-plan nodes (at any depth): their streams' chains are checked too.
        related.AddRange(ChildStreams(executionId, plan, depth: 0));
        if (launchPlan.Name is not null)
        {
            related.Add($"launchplan/{project}/{domain}/{launchPlan.Name}");
        }

        var registrations = new Dictionary<(string Stream, string Version), DomainEvent>();
        EventMetadata? activationMeta = null;
        await foreach (var (row, _) in Checked(
            "where tenant_id = @tenant and stream_id = any(@streams) order by stream_id, version",
            p =>
            {
                p.AddWithValue("tenant", tenant);
                p.AddWithValue("streams", related.Distinct(StringComparer.Ordinal).ToArray());
            },
            chains,
            cancellationToken))
        {
            switch (row.Data)
            {
                case TaskVersionRegistered t:
                    registrations[(row.Stream, t.Version)] = t;
                    continue;
                case WorkflowVersionRegistered w:
                    registrations[(row.Stream, w.Version)] = w;
                    continue;
                case LaunchPlanActivated a when a.Version == launchPlan.Version && a.Meta.At <= accepted.Meta.At:
                    activationMeta = a.Meta; // the last activation of that version before the run
                    continue;
                case not TaskExecutionEvent:
                    continue;
                case TaskExecutionEvent when !row.Stream.StartsWith(stream + "/", StringComparison.Ordinal):
                    continue; // a child execution's task: its chain is checked, its attempts are the child's report
            }

            var meta = row.Data.Meta;
            var node = row.Stream[(stream.Length + 1)..];
            if (!tasks.TryGetValue(node, out var task))
            {
                tasks[node] = task = new TaskExecutionState();
            }

            task.Apply((TaskExecutionEvent)row.Data);
            switch (row.Data)
            {
                case TaskAborted aborted:
                    aborts.Add(new RunAbort(node, meta.Principal, meta.OnBehalfOf, meta.At, aborted.Reason));
                    break;
                case TaskCacheHit hit:
                    cacheHits.Add(new RunCacheHit(node, hit.SourceExecutionId, hit.SourceNodeId));
                    break;
            }
        }

        PinnedVersion Pinned(string streamKey, string name, string version) =>
            registrations.TryGetValue((streamKey, version), out var e)
                ? new PinnedVersion(name, version, e switch { TaskVersionRegistered t => t.ContentHash, WorkflowVersionRegistered w => w.ContentHash, _ => null }, e.Meta.Principal, e.Meta.At)
                : new PinnedVersion(name, version, null, null, null);

        var attempts = new List<RunAttempt>();
        foreach (var planNode in taskNodes)
        {
            var resources = Parse(planNode.TaskSpec)?["resources"];
            foreach (var taskNodeId in taskStreams[planNode.Id])
            {
                if (!tasks.TryGetValue(taskNodeId, out var state) || !state.Exists)
                {
                    continue;
                }

                foreach (var a in TaskExecutionViews.Of(executionId, taskNodeId, state).Attempts)
                {
                    attempts.Add(new RunAttempt(taskNodeId, planNode.Task, a.Attempt, a.AttemptId, a.Outcome, resources?.DeepClone(), a.Gpu?.Node, a.Gpu?.DeviceIds ?? [], a.Gpu?.ResourceName,
                        a.LaunchedAt, a.StartedAt, a.FinishedAt, a.ExitCode, a.Error));
                }
            }
        }

        var origin = new RunOrigin(
            accepted.Meta.Principal, accepted.Meta.OnBehalfOf, accepted.Meta.At, accepted.Meta.CorrelationId, accepted.LaunchPlan, accepted.ScheduledAt,
            activationMeta?.Responsible, activationMeta?.At, activationMeta?.Reason, accepted.RelaunchOf, accepted.RecoverOf);
        return new RunReport(
            executionId, project, domain, view.Phase.ToString(), origin,
            Pinned(workflowStream, plan.WorkflowName, plan.WorkflowVersion),
            [.. taskRefs.Select(t => Pinned($"task/{project}/{domain}/{t.Name}", t.Name, t.Version))],
            Parse(view.InputsJson), Parse(view.OutputsJson), view.Error, view.StartedAt, view.FinishedAt,
            attempts, aborts, cacheHits, chains);
    }

    /// <summary>The rows of a query in stream/version order, each stream's chain checked on the way into <paramref name="chains"/>.</summary>
    private async IAsyncEnumerable<(EventRow Row, ChainCheck Check)> Checked(
        string whereAndOrder, Action<Npgsql.NpgsqlParameterCollection> parameters, List<StreamChain> chains,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ChainCheck? check = null;
        await foreach (var row in _rows.ReadAsync(whereAndOrder, parameters, cancellationToken))
        {
            if (check?.StreamKey != row.Stream)
            {
                Close(check, chains);
                check = new ChainCheck(row.Stream);
            }

            check.Add(new StoredLink(row.Version, row.PreviousHash, row.Hash, row.MetadataHash, row.Data));
            yield return (row, check);
        }

        Close(check, chains);
    }

    private static void Close(ChainCheck? check, List<StreamChain> chains)
    {
        if (check is null)
        {
            return;
        }

        var damage = check.Finish();
        chains.Add(new StreamChain(check.StreamKey, check.Events, damage is null, damage?.Version, damage?.Damage.ToString()));
    }

    /// <summary>The streams of every child execution a plan's nodes may have started (ids derived from parent and node).</summary>
    private static IEnumerable<string> ChildStreams(string executionId, ExecutionPlan plan, int depth) =>
        depth >= Domain.Specs.WorkflowInterface.MaxDepth ? [] : plan.Nodes.Where(n => n.Child is not null).SelectMany(n =>
        {
            var child = ExecutionIds.Child(executionId, n.Id);
            return new[] { $"execution/{child}" }
                .Concat(n.Child!.Plan.Nodes.Where(c => c.Child is null && c.Branch is null).Select(c => $"execution/{child}/{c.Id}"))
                .Concat(ChildStreams(child, n.Child.Plan, depth + 1));
        });

    private static (string Name, string Version) Split(string reference)
    {
        var at = reference.LastIndexOf('@');
        return at < 0 ? (reference, string.Empty) : (reference[..at], reference[(at + 1)..]);
    }

    private static JsonNode? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
