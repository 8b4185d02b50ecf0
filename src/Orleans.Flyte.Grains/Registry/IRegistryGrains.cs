namespace Orleans.Flyte.Grains.Registry;

/// <summary>A project: the unit of ownership; its domains come from configuration. Key: the project name.</summary>
[Alias("flyte.IProjectGrain")]
public interface IProjectGrain : IGrainWithStringKey
{
    [Alias("Get")]
    Task<ProjectView?> Get();

    /// <summary>Creates the project; creating an existing one is an idempotent success.</summary>
    [Alias("Create")]
    Task<ProjectCreation> Create(CreateProject command);
}

/// <summary>
/// The versions of one task or workflow name in one project/domain. Key: <c>project/domain/name</c>
/// (see <see cref="DefinitionKey"/>). Versions are immutable: re-registering identical content is an
/// idempotent success, different content a conflict.
/// </summary>
[Alias("flyte.IDefinitionGrain")]
public interface IDefinitionGrain : IGrainWithStringKey
{
    [Alias("Register")]
    Task<Registration> Register(RegisterDefinition command);

    /// <summary>One version, or the latest when <paramref name="version"/> is null; null when absent.</summary>
    [Alias("GetVersion")]
    Task<DefinitionView?> GetVersion(string? version);

    [Alias("ListVersions")]
    Task<IReadOnlyList<DefinitionVersionSummary>> ListVersions();
}

[Alias("flyte.ITaskDefinitionGrain")]
public interface ITaskDefinitionGrain : IDefinitionGrain;

[Alias("flyte.IWorkflowDefinitionGrain")]
public interface IWorkflowDefinitionGrain : IDefinitionGrain;

public static class DefinitionKey
{
    public static string Of(string project, string domain, string name) => $"{project}/{domain}/{name}";

    public static (string Project, string Domain, string Name) Parse(string key)
    {
        var parts = key.Split('/');
        return parts.Length == 3
            ? (parts[0], parts[1], parts[2])
            : throw new ArgumentException($"'{key}' is not a definition key of the form project/domain/name.", nameof(key));
    }
}

[GenerateSerializer, Immutable, Alias("flyte.CreateProject")]
public sealed record CreateProject(
    [property: Id(0)] string Name,
    [property: Id(1)] string? DisplayName,
    [property: Id(2)] string? Description);

[GenerateSerializer, Immutable, Alias("flyte.ProjectView")]
public sealed record ProjectView(
    [property: Id(0)] string Name,
    [property: Id(1)] string? DisplayName,
    [property: Id(2)] string? Description,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] string CreatedBy);

[GenerateSerializer, Immutable, Alias("flyte.ProjectCreation")]
public sealed record ProjectCreation([property: Id(0)] bool Created, [property: Id(1)] ProjectView Project);

/// <param name="Spec">Normalized spec as canonical JSON (validated by the caller before it gets here).</param>
/// <param name="PinnedTasks">Workflows only: reference as written → exact <c>name@version</c>.</param>
[GenerateSerializer, Immutable, Alias("flyte.RegisterDefinition")]
public sealed record RegisterDefinition(
    [property: Id(0)] string Version,
    [property: Id(1)] string Spec,
    [property: Id(2)] string ContentHash,
    [property: Id(3)] IReadOnlyDictionary<string, string> PinnedTasks);

public enum RegistrationOutcome
{
    Created,
    AlreadyRegistered,
    Conflict,
}

/// <param name="Definition">The stored version: the new one, the identical existing one, or the conflicting one.</param>
[GenerateSerializer, Immutable, Alias("flyte.Registration")]
public sealed record Registration(
    [property: Id(0)] RegistrationOutcome Outcome,
    [property: Id(1)] DefinitionView Definition);

[GenerateSerializer, Immutable, Alias("flyte.DefinitionView")]
public sealed record DefinitionView(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] string Name,
    [property: Id(3)] string Version,
    [property: Id(4)] string Spec,
    [property: Id(5)] string ContentHash,
    [property: Id(6)] DateTimeOffset RegisteredAt,
    [property: Id(7)] string RegisteredBy,
    [property: Id(8)] IReadOnlyDictionary<string, string> PinnedTasks);

[GenerateSerializer, Immutable, Alias("flyte.DefinitionVersionSummary")]
public sealed record DefinitionVersionSummary(
    [property: Id(0)] string Version,
    [property: Id(1)] string ContentHash,
    [property: Id(2)] DateTimeOffset RegisteredAt,
    [property: Id(3)] string RegisteredBy);
