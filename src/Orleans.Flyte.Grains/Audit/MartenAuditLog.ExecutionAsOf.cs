using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Grains.Executions;

namespace Orleans.Flyte.Grains.Audit;

/// <summary>An execution with its nodes and attempts as it stood at an instant.</summary>
public sealed partial class MartenAuditLog
{
    /// <summary>Node streams are read on this many connections at once: PostgreSQL turns each stored row into text on one
    /// core per connection, which is most of the cost of a wide execution's as-of read.</summary>
    private const int ReadParallelism = 4;

    public async Task<ExecutionAsOf?> ExecutionAsOfAsync(
        string project, string domain, string executionId, DateTimeOffset asOf, CancellationToken cancellationToken = default)
    {
        // The first event (the acceptance) names the plan's nodes, so the rest of the workflow stream and the node streams
        // are read at once, on several connections, by key (an index lookup, where a key prefix would scan the tenant), and
        // deserialized on every core; only map elements, named by the workflow's later events, take a second round.
        var tenant = StreamAddress.TenantOf(project, domain);
        var stream = $"execution/{executionId}";
        var first = await ReadStreamsAsync(tenant, [stream], 0, 1, cancellationToken);
        if (first is not [{ Data: ExecutionAccepted accepted } acceptance] || acceptance.Data.Meta.At > asOf)
        {
            return null;
        }

        var nodeStreams = accepted.Plan.Nodes.Select(n => $"{stream}/{n.Id}").ToArray();
        var rest = ReadStreamsAsync(tenant, [stream], 1, long.MaxValue, cancellationToken);
        var chunks = nodeStreams.Chunk(Math.Max(1, (nodeStreams.Length + ReadParallelism - 1) / ReadParallelism))
            .Select(chunk => ReadStreamsAsync(tenant, chunk, 0, long.MaxValue, cancellationToken))
            .ToList();
        var workflow = new WorkflowExecutionState();
        workflow.Apply(accepted);
        foreach (var row in await rest)
        {
            if (row.Data.Meta.At > asOf)
            {
                break;
            }

            workflow.Apply((WorkflowExecutionEvent)row.Data);
        }

        var view = ExecutionViews.Of(workflow);
        var elementIds = view.Nodes.SelectMany(n => n.Elements ?? []).Select(e => e.NodeId).ToList();
        var tasks = new Dictionary<string, TaskExecutionState>(StringComparer.Ordinal);
        foreach (var chunk in chunks)
        {
            FoldTasks(stream, await chunk, asOf, tasks);
        }

        if (elementIds.Count > 0)
        {
            FoldTasks(stream, await ReadStreamsAsync(tenant, [.. elementIds.Select(id => $"{stream}/{id}")], 0, long.MaxValue, cancellationToken), asOf, tasks);
        }

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

    /// <summary>The events of the given streams with versions in (<paramref name="after"/>, <paramref name="through"/>], in
    /// stream and version order, deserialized in parallel (without their hash links: a fold does not need them).</summary>
    private async Task<EventRow[]> ReadStreamsAsync(string tenant, string[] streams, long after, long through, CancellationToken cancellationToken)
    {
        var raw = new List<RawEventRow>();
        await foreach (var row in _rows.ReadRawAsync(
            "where tenant_id = @tenant and stream_id = any(@streams) and version > @after and version <= @through order by stream_id, version",
            p =>
            {
                p.AddWithValue("tenant", tenant);
                p.AddWithValue("streams", streams);
                p.AddWithValue("after", after);
                p.AddWithValue("through", through);
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
