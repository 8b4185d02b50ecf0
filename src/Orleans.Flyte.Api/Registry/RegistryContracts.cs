using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.Registry;

public sealed record CreateProjectRequest(string? Name, string? DisplayName, string? Description);

public sealed record ProjectResponse(
    string Name,
    string? DisplayName,
    string? Description,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    IReadOnlyList<string> Domains);

public sealed record ProjectList(IReadOnlyList<ProjectResponse> Items);

public sealed record DomainList(IReadOnlyList<string> Items);

/// <summary>One registered version of a task or workflow, with its normalized spec.</summary>
/// <param name="PinnedTasks">Workflows: each task reference as written → the exact version it is pinned to.</param>
public sealed record DefinitionResponse(
    string Kind,
    string Project,
    string Domain,
    string Name,
    string Version,
    string ContentHash,
    DateTimeOffset RegisteredAt,
    string RegisteredBy,
    JsonNode? Spec,
    IReadOnlyDictionary<string, string>? PinnedTasks);

public sealed record DefinitionNameSummary(string Name, string LatestVersion, int Versions, DateTimeOffset LastRegisteredAt);

public sealed record DefinitionNameList(IReadOnlyList<DefinitionNameSummary> Items);

public sealed record DefinitionVersionItem(string Version, string ContentHash, DateTimeOffset RegisteredAt, string RegisteredBy);

public sealed record DefinitionVersionList(string Name, IReadOnlyList<DefinitionVersionItem> Items);
