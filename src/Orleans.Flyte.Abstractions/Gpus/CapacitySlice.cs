namespace Orleans.Flyte.Abstractions.Gpus;

[GenerateSerializer, Immutable, Alias("flyte.CapacitySlice")]
public sealed record CapacitySlice(
    [property: Id(0)] string Id,
    [property: Id(1)] string Profile,
    [property: Id(2)] LeaseHolder? HeldBy);
