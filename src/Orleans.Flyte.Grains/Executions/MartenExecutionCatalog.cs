using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>Executions from the <see cref="ExecutionSummaryDocument"/> read model; timelines from the event log of the
/// execution's project/domain tenant.</summary>
public sealed class MartenExecutionCatalog(IDocumentStore store) : IExecutionCatalog
{
    public async Task<ExecutionPage> ListAsync(ExecutionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var session = store.QuerySession();
        var rows = session.Query<ExecutionSummaryDocument>().Where(e => e.Project == query.Project && e.Domain == query.Domain);
        if (query.Workflow is { } workflow)
        {
            rows = rows.Where(e => e.Workflow == workflow);
        }

        if (query.Phase is { } phase)
        {
            rows = rows.Where(e => e.Phase == phase);
        }

        if (query.LaunchPlan is { } launchPlan)
        {
            // Executions name their launch plan as name@version: a bare name matches every version.
            var prefix = launchPlan + "@";
            rows = launchPlan.Contains('@', StringComparison.Ordinal)
                ? rows.Where(e => e.LaunchPlan == launchPlan)
                : rows.Where(e => e.LaunchPlan!.StartsWith(prefix));
        }

        if (query.Parent is { } parent)
        {
            rows = parent == ExecutionQuery.TopLevel ? rows.Where(e => e.ParentExecutionId == null) : rows.Where(e => e.ParentExecutionId == parent);
        }

        if (query.ScheduledAt is { } instant)
        {
            rows = rows.Where(e => e.ScheduledAt == instant);
        }

        if (query.CreatedAfter is { } after)
        {
            rows = rows.Where(e => e.CreatedAt >= after);
        }

        if (query.CreatedBefore is { } until)
        {
            rows = rows.Where(e => e.CreatedAt < until);
        }

        if (query.After is { } cursor)
        {
            var (at, id) = (cursor.CreatedAt, cursor.Id);
            // The same condition as "older, or as old with a smaller id", with its bound on CreatedAt stated alone so that the
            // (project, domain, created_at) index starts its scan at the cursor instead of filtering the newer rows out.
            rows = rows.Where(e => e.CreatedAt <= at && (e.CreatedAt < at || e.Id.CompareTo(id) < 0));
        }

        // Newest first; the id breaks ties between executions created in the same instant, so paging never skips one.
        // One row more than asked says whether another page follows.
        var page = await rows.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).Take(query.Limit + 1).ToListAsync(cancellationToken);
        var items = page.Take(query.Limit).Select(Entry).ToList();
        var next = page.Count > query.Limit ? new ExecutionCursor(page[query.Limit - 1].CreatedAt, page[query.Limit - 1].Id) : null;
        return new ExecutionPage(items, next);
    }

    public async Task<IReadOnlyList<ExecutionEventEntry>> GetTimelineAsync(
        string project, string domain, string executionId, CancellationToken cancellationToken = default)
    {
        var stream = $"execution/{executionId}";
        await using var session = store.QuerySession(StreamAddress.TenantOf(project, domain));
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamKey == stream || e.StreamKey!.StartsWith(stream + "/"))
            .OrderBy(e => e.Sequence)
            .ToListAsync(cancellationToken);
        return [.. events.Where(e => e.Data is DomainEvent).Select(e =>
        {
            var data = (DomainEvent)e.Data;
            return new ExecutionEventEntry(e.Sequence, e.StreamKey!, e.Version, e.Data.GetType().Name, data.Meta.At, data.Meta.Principal,
                data.Meta.CorrelationId, data.Meta.Reason, EventDataView.Of(data))
            {
                Hash = MartenEventStreamStore.HeaderText(e, MartenEventStreamStore.HashHeader),
                PreviousHash = MartenEventStreamStore.HeaderText(e, MartenEventStreamStore.PreviousHashHeader),
            };
        })];
    }

    private static ExecutionEntry Entry(ExecutionSummaryDocument e) => new(
        e.Id, e.Project, e.Domain, e.Workflow, e.WorkflowVersion, e.Phase, e.CreatedAt, e.CreatedBy, e.StartedAt, e.FinishedAt, e.Error,
        e.LaunchPlan, e.ScheduledAt, e.RelaunchOf, e.RecoverOf, e.ParentExecutionId, e.ParentNode);
}
