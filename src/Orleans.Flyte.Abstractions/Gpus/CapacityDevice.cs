namespace Orleans.Flyte.Abstractions.Gpus;

[GenerateSerializer, Immutable, Alias("flyte.CapacityDevice")]
public sealed record CapacityDevice(
    [property: Id(0)] string Id,
    [property: Id(1)] int Index,
    [property: Id(2)] string Model,
    [property: Id(3)] string DeviceClass,
    [property: Id(4)] int MemoryGb,
    [property: Id(5)] bool Mig,
    [property: Id(6)] LeaseHolder? HeldBy,
    [property: Id(7)] IReadOnlyList<CapacitySlice> Slices);
