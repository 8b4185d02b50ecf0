using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Registry;

[GenerateSerializer, Alias("flyte.ProjectState")]
public sealed class ProjectState : IEventSourcedState<ProjectEvent>
{
    [Id(0)] public string? Name { get; private set; }
    [Id(1)] public string? DisplayName { get; private set; }
    [Id(2)] public string? Description { get; private set; }
    [Id(3)] public DateTimeOffset CreatedAt { get; private set; }
    [Id(4)] public string? CreatedBy { get; private set; }

    public bool Exists => Name is not null;

    public void Apply(ProjectEvent @event)
    {
        switch (@event)
        {
            case ProjectCreated e:
                Name = e.Name;
                DisplayName = e.DisplayName;
                Description = e.Description;
                CreatedAt = e.Meta.At;
                CreatedBy = e.Meta.Principal;
                break;
        }
    }
}

/// <summary>One registered version of a task or workflow.</summary>
[GenerateSerializer, Immutable, Alias("flyte.DefinitionVersion")]
public sealed record DefinitionVersion(
    [property: Id(0)] string Version,
    [property: Id(1)] string Spec,
    [property: Id(2)] string ContentHash,
    [property: Id(3)] DateTimeOffset RegisteredAt,
    [property: Id(4)] string RegisteredBy,
    [property: Id(5)] IReadOnlyDictionary<string, string> PinnedTasks);

/// <summary>All versions of one task or workflow name, in registration order.</summary>
[GenerateSerializer, Alias("flyte.DefinitionState")]
public sealed class DefinitionState : IEventSourcedState<DefinitionEvent>
{
    private static readonly IReadOnlyDictionary<string, string> s_noPins = new Dictionary<string, string>();

    [Id(0)] private readonly List<DefinitionVersion> _versions = [];

    public IReadOnlyList<DefinitionVersion> Versions => _versions;

    /// <summary>The most recently registered version, which unpinned references resolve to.</summary>
    public DefinitionVersion? Latest => _versions.Count == 0 ? null : _versions[^1];

    public DefinitionVersion? Find(string version) =>
        _versions.Find(v => string.Equals(v.Version, version, StringComparison.Ordinal));

    public void Apply(DefinitionEvent @event)
    {
        switch (@event)
        {
            case TaskVersionRegistered e:
                _versions.Add(new DefinitionVersion(e.Version, e.Spec, e.ContentHash, e.Meta.At, e.Meta.Principal, s_noPins));
                break;
            case WorkflowVersionRegistered e:
                _versions.Add(new DefinitionVersion(e.Version, e.Spec, e.ContentHash, e.Meta.At, e.Meta.Principal, e.PinnedTasks));
                break;
        }
    }
}
