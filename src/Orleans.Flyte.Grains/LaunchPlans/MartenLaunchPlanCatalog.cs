using Marten;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Domain.LaunchPlans;

namespace Orleans.Flyte.Grains.LaunchPlans;

/// <summary>Launch plan versions from the <see cref="LaunchPlanDocument"/> read model.</summary>
public sealed class MartenLaunchPlanCatalog(IDocumentStore store) : ILaunchPlanCatalog
{
    public async Task<IReadOnlyList<LaunchPlanEntry>> ListAsync(
        string project, string domain, LaunchPlanStatus? status, bool includeArchived, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        var query = session.Query<LaunchPlanDocument>().Where(d => d.Project == project && d.Domain == domain);
        if (status is { } wanted)
        {
            query = query.Where(d => d.Status == wanted);
        }
        else if (!includeArchived)
        {
            query = query.Where(d => d.Status != LaunchPlanStatus.Archived);
        }

        var rows = await query.ToListAsync(cancellationToken);
        return [.. rows.OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.RegisteredAt).Select(r => new LaunchPlanEntry(
            r.Project, r.Domain, r.Name, r.Version, r.Workflow, r.Status, r.Schedule, r.Paused, r.ScheduledThrough, r.Fired,
            r.RegisteredAt, r.RegisteredBy, r.ChangedAt, r.ChangedBy, r.ChangeReason))];
    }
}
