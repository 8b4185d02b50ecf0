namespace Orleans.Flyte.Abstractions.Registry;

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
