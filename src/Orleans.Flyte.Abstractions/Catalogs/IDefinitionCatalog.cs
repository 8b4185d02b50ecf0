namespace Orleans.Flyte.Abstractions.Catalogs;

/// <summary>The read side of the task and workflow registry: names across a project/domain. The versions of one name
/// are its definition grain's to say.</summary>
public interface IDefinitionCatalog
{
    /// <summary>Every name of <paramref name="kind"/> (<see cref="Registry.DefinitionKinds"/>) registered in the
    /// project/domain, ordered by name, each with its most recently registered version.</summary>
    Task<IReadOnlyList<DefinitionNameEntry>> ListNamesAsync(string kind, string project, string domain, CancellationToken cancellationToken = default);
}
