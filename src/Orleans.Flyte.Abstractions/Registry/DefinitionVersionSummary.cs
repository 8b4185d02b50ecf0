namespace Orleans.Flyte.Abstractions.Registry;

[GenerateSerializer, Immutable, Alias("flyte.DefinitionVersionSummary")]
public sealed record DefinitionVersionSummary(
    [property: Id(0)] string Version,
    [property: Id(1)] string ContentHash,
    [property: Id(2)] DateTimeOffset RegisteredAt,
    [property: Id(3)] string RegisteredBy);
