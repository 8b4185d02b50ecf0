namespace Orleans.Flyte.Abstractions.Registry;

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
