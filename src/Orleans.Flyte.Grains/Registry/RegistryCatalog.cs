using JasperFx.Events;
using Marten;
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
/// Inline projection: the read models commit in the same transaction as the events, so a listing never
/// lags a registration that was acknowledged.
/// </summary>
public sealed class RegistryCatalogProjection : IProjection
{
    public const string TaskKind = DefinitionKinds.Task;
    public const string WorkflowKind = DefinitionKinds.Workflow;

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        foreach (var e in events)
        {
            switch (e.Data)
            {
                case ProjectCreated p:
                    operations.Store(new ProjectDocument
                    {
                        Id = p.Name,
                        DisplayName = p.DisplayName,
                        Description = p.Description,
                        CreatedAt = p.Meta.At,
                        CreatedBy = p.Meta.Principal,
                    });
                    break;
                case TaskVersionRegistered t:
                    operations.Store(Document(TaskKind, t.Project, t.Domain, t.Name, t.Version, t.ContentHash, t));
                    break;
                case WorkflowVersionRegistered w:
                    operations.Store(Document(WorkflowKind, w.Project, w.Domain, w.Name, w.Version, w.ContentHash, w));
                    break;
            }
        }

        return Task.CompletedTask;
    }

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
