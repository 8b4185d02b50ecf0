namespace Orleans.Flyte.Abstractions.Registry;

[Alias("flyte.IWorkflowDefinitionGrain")]
public interface IWorkflowDefinitionGrain : IDefinitionGrain;
