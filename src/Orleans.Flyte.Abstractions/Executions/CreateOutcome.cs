namespace Orleans.Flyte.Abstractions.Executions;

[GenerateSerializer, Immutable, Alias("flyte.CreateOutcome")]
public sealed record CreateOutcome([property: Id(0)] CreateStatus Status, [property: Id(1)] ExecutionView Execution);
