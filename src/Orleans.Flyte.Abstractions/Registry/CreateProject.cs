namespace Orleans.Flyte.Abstractions.Registry;

[GenerateSerializer, Immutable, Alias("flyte.CreateProject")]
public sealed record CreateProject(
    [property: Id(0)] string Name,
    [property: Id(1)] string? DisplayName,
    [property: Id(2)] string? Description);
