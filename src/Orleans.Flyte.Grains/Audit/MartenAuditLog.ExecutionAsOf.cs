using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Grains.Executions;

namespace Orleans.Flyte.Grains.Audit;

/// <summary>An execution with its nodes and attempts as it stood at an instant.</summary>
public sealed partial class MartenAuditLog
{
    public async Task<ExecutionAsOf?> ExecutionAsOfAsync(
        string project, string domain, string executionId, DateTimeOffset asOf, CancellationToken cancellationToken = default)
    {
        // Two queries: the workflow stream, whose plan (and map expansions) name the node streams; then those, by key (an
        // index lookup, where a key prefix would scan the tenant). Rows come without their hash links (a fold does not need
        // them, and each costs the server a header lookup) and are deserialized on every core. Reading the node streams on
        // several connections at once while the workflow folds was tried: on this 2-core machine it was slower, not faster.
        var tenant = StreamAddress.TenantOf(project, domain);
        var stream = $"execution/{executionId}";
        var workflow = new WorkflowExecutionState();
        foreach (var row in await ReadStreamsAsync(tenant, [stream], cancellationToken))
        {
            if (row.Data.Meta.At > asOf)
            {
                break;
            }

            workflow.Apply((WorkflowExecutionEvent)row.Data);
        }

        if (workflow.Submission is not { } accepted)
        {
            return null;
        }

        var view = ExecutionViews.Of(workflow);
        var elementIds = view.Nodes.SelectMany(n => n.Elements ?? []).Select(e => e.NodeId).ToList();
        var tasks = new Dictionary<string, TaskExecutionState>(StringComparer.Ordinal);
        FoldTasks(stream, await ReadStreamsAsync(tenant, [.. accepted.Plan.Nodes.Select(n => n.Id).Concat(elementIds).Select(id => $"{stream}/{id}")], cancellationToken), asOf, tasks);
        return new ExecutionAsOf(
            view,
            [.. view.Nodes.Select(n => tasks.TryGetValue(n.NodeId, out var t) && t.Exists ? TaskExecutionViews.Of(executionId, n.NodeId, t) : null)],
            elementIds.Where(id => tasks.TryGetValue(id, out var t) && t.Exists).ToDictionary(id => id, id => TaskExecutionViews.Of(executionId, id, tasks[id]), StringComparer.Ordinal));
    }

    /// <summary>A stream's state at an instant is the fold of its prefix up to then: each stream stops at its first later event.</summary>
    private static void FoldTasks(string executionStream, IReadOnlyList<EventRow> rows, DateTimeOffset asOf, Dictionary<string, TaskExecutionState> tasks)
    {
        string? stoppedAt = null;
        foreach (var row in rows)
        {
            if (row.Stream == stoppedAt || row.Data.Meta.At > asOf)
            {
                stoppedAt = row.Stream;
                continue;
            }

            var node = row.Stream[(executionStream.Length + 1)..];
            if (!tasks.TryGetValue(node, out var task))
            {
                tasks[node] = task = new TaskExecutionState();
            }

            task.Apply((TaskExecutionEvent)row.Data);
        }
    }

    /// <summary>The events of the given streams in stream and version order, deserialized in parallel, without hash links.</summary>
    private async Task<EventRow[]> ReadStreamsAsync(string tenant, string[] streams, CancellationToken cancellationToken)
    {
        var raw = new List<RawEventRow>();
        await foreach (var row in _rows.ReadRawAsync(
            "where tenant_id = @tenant and stream_id = any(@streams) order by stream_id, version",
            p =>
            {
                p.AddWithValue("tenant", tenant);
                p.AddWithValue("streams", streams);
            },
            cancellationToken,
            chain: false))
        {
            raw.Add(row);
        }

        var rows = new EventRow[raw.Count];
        Parallel.For(0, raw.Count, new ParallelOptions { CancellationToken = cancellationToken }, i => rows[i] = _rows.Deserialize(raw[i]));
        return rows;
    }
}
