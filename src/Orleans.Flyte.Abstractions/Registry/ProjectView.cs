namespace Orleans.Flyte.Abstractions.Registry;

[GenerateSerializer, Immutable, Alias("flyte.ProjectView")]
public sealed record ProjectView(
    [property: Id(0)] string Name,
    [property: Id(1)] string? DisplayName,
    [property: Id(2)] string? Description,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] string CreatedBy);
