using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Registry;

[GenerateSerializer, Immutable, Alias("flyte.ProjectEvent")]
public abstract record ProjectEvent : DomainEvent;

[GenerateSerializer, Immutable, Alias("flyte.ProjectCreated")]
public sealed record ProjectCreated(
    [property: Id(0)] string Name,
    [property: Id(1)] string? DisplayName,
    [property: Id(2)] string? Description) : ProjectEvent;

/// <summary>Events of one task or workflow name in one project/domain: immutable versions.</summary>
[GenerateSerializer, Immutable, Alias("flyte.DefinitionEvent")]
public abstract record DefinitionEvent : DomainEvent;

/// <param name="Spec">The normalized spec as canonical JSON: stored as text so old versions stay readable
/// whatever the C# spec model becomes.</param>
/// <param name="ContentHash">SHA-256 of <paramref name="Spec"/>: equal hash, equal content.</param>
[GenerateSerializer, Immutable, Alias("flyte.TaskVersionRegistered")]
public sealed record TaskVersionRegistered(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] string Name,
    [property: Id(3)] string Version,
    [property: Id(4)] string Spec,
    [property: Id(5)] string ContentHash) : DefinitionEvent;

/// <param name="PinnedTasks">Each task reference as written in the spec (e.g. <c>prepare-data</c>) mapped to the
/// exact version it resolved to at registration (<c>prepare-data@v1</c>). A workflow version never floats.</param>
[GenerateSerializer, Immutable, Alias("flyte.WorkflowVersionRegistered")]
public sealed record WorkflowVersionRegistered(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] string Name,
    [property: Id(3)] string Version,
    [property: Id(4)] string Spec,
    [property: Id(5)] string ContentHash,
    [property: Id(6)] IReadOnlyDictionary<string, string> PinnedTasks) : DefinitionEvent;
