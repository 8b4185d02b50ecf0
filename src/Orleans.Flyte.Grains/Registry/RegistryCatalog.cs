using Marten.Events.Projections;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Domain.Registry;

namespace Orleans.Flyte.Grains.Registry;

/// <summary>Read model of projects for listing (the grain is the source of truth for one project).</summary>
public sealed class ProjectDocument
{
    public required string Id { get; set; }
    public string? DisplayName { get; set; }
    public string? Description { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
}

/// <summary>Read model: one row per registered task or workflow version, for listings across names.</summary>
public sealed class DefinitionVersionDocument
{
    /// <summary><c>{kind}/{project}/{domain}/{name}/{version}</c>.</summary>
    public required string Id { get; set; }
    public required string Kind { get; set; }
    public required string Project { get; set; }
    public required string Domain { get; set; }
    public required string Name { get; set; }
    public required string Version { get; set; }
    public required string ContentHash { get; set; }
    public DateTimeOffset RegisteredAt { get; set; }
    public required string RegisteredBy { get; set; }
}

/// <summary>
/// One <see cref="ProjectDocument"/> per created project and one <see cref="DefinitionVersionDocument"/> per registered
/// task or workflow version, registered inline (<see cref="Hosting.ReadModels"/>): a listing never lags a registration
/// that was acknowledged.
/// </summary>
/// <remarks>
/// An event projection because every document is made whole by one event and never changes afterwards (versions are
/// immutable), so there is nothing to aggregate. Marten 9 generates the dispatch of the conventional <c>Create</c>
/// methods into this class, hence <c>partial</c>.
/// </remarks>
public sealed partial class RegistryCatalogProjection : EventProjection
{
    public const string TaskKind = DefinitionKinds.Task;
    public const string WorkflowKind = DefinitionKinds.Workflow;

    public static ProjectDocument Create(ProjectCreated p) => new()
    {
        Id = p.Name,
        DisplayName = p.DisplayName,
        Description = p.Description,
        CreatedAt = p.Meta.At,
        CreatedBy = p.Meta.Principal,
    };

    public static DefinitionVersionDocument Create(TaskVersionRegistered t) =>
        Document(TaskKind, t.Project, t.Domain, t.Name, t.Version, t.ContentHash, t);

    public static DefinitionVersionDocument Create(WorkflowVersionRegistered w) =>
        Document(WorkflowKind, w.Project, w.Domain, w.Name, w.Version, w.ContentHash, w);

    private static DefinitionVersionDocument Document(
        string kind, string project, string domain, string name, string version, string hash, DefinitionEvent e) => new()
        {
            Id = $"{kind}/{project}/{domain}/{name}/{version}",
            Kind = kind,
            Project = project,
            Domain = domain,
            Name = name,
            Version = version,
            ContentHash = hash,
            RegisteredAt = e.Meta.At,
            RegisteredBy = e.Meta.Principal,
        };
}
