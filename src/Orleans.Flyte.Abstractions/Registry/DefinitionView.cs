namespace Orleans.Flyte.Abstractions.Registry;

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
