namespace Orleans.Flyte.Abstractions.Registry;

[Alias("flyte.ITaskDefinitionGrain")]
public interface ITaskDefinitionGrain : IDefinitionGrain;
