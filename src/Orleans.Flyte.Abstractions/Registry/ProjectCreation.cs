namespace Orleans.Flyte.Abstractions.Registry;

[GenerateSerializer, Immutable, Alias("flyte.ProjectCreation")]
public sealed record ProjectCreation([property: Id(0)] bool Created, [property: Id(1)] ProjectView Project);
