using Marten;
using Orleans.Flyte.Abstractions.Catalogs;

namespace Orleans.Flyte.Grains.Registry;

/// <summary>Task and workflow names from the <see cref="DefinitionVersionDocument"/> read model.</summary>
public sealed class MartenDefinitionCatalog(IDocumentStore store) : IDefinitionCatalog
{
    public async Task<IReadOnlyList<DefinitionNameEntry>> ListNamesAsync(string kind, string project, string domain, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        var rows = await session.Query<DefinitionVersionDocument>()
            .Where(d => d.Kind == kind && d.Project == project && d.Domain == domain)
            .ToListAsync(cancellationToken);
        return [.. rows.GroupBy(r => r.Name, StringComparer.Ordinal)
            .Select(g =>
            {
                var latest = g.OrderBy(r => r.RegisteredAt).Last();
                return new DefinitionNameEntry(g.Key, latest.Version, g.Count(), latest.RegisteredAt);
            })
            .OrderBy(s => s.Name, StringComparer.Ordinal)];
    }
}
