using Marten;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Abstractions.Registry;

namespace Orleans.Flyte.Grains.Registry;

/// <summary>Projects from the <see cref="ProjectDocument"/> read model.</summary>
public sealed class MartenProjectCatalog(IDocumentStore store) : IProjectCatalog
{
    public async Task<IReadOnlyList<ProjectView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        var projects = await session.Query<ProjectDocument>().OrderBy(p => p.Id).ToListAsync(cancellationToken);
        return [.. projects.Select(p => new ProjectView(p.Id, p.DisplayName, p.Description, p.CreatedAt, p.CreatedBy))];
    }
}
