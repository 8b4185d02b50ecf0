using Orleans.Flyte.Abstractions.Registry;

namespace Orleans.Flyte.Abstractions.Catalogs;

/// <summary>The read side of projects: all of them at once. One project is its grain's to say.</summary>
public interface IProjectCatalog
{
    /// <summary>Every project, ordered by name.</summary>
    Task<IReadOnlyList<ProjectView>> ListAsync(CancellationToken cancellationToken = default);
}
