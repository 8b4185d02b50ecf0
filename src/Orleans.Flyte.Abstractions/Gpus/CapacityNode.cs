namespace Orleans.Flyte.Abstractions.Gpus;

[GenerateSerializer, Immutable, Alias("flyte.CapacityNode")]
public sealed record CapacityNode(
    [property: Id(0)] string Name,
    [property: Id(1)] string Condition,
    [property: Id(2)] string? Reason,
    [property: Id(3)] IReadOnlyList<CapacityDevice> Devices);
