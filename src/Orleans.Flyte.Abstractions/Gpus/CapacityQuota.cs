namespace Orleans.Flyte.Abstractions.Gpus;

[GenerateSerializer, Immutable, Alias("flyte.CapacityQuota")]
public sealed record CapacityQuota(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] string Resource,
    [property: Id(3)] int Limit,
    [property: Id(4)] int Used,
    [property: Id(5)] bool Default);
