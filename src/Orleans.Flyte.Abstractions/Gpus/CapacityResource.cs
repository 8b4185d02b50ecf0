namespace Orleans.Flyte.Abstractions.Gpus;

/// <param name="Resource">A device class of whole GPUs (<c>a100-40gb</c>) or a MIG profile (<c>mig-3g.20gb</c>).</param>
/// <param name="Unavailable">Free units on cordoned, draining or gone nodes (not counted as free).</param>
[GenerateSerializer, Immutable, Alias("flyte.CapacityResource")]
public sealed record CapacityResource(
    [property: Id(0)] string Resource,
    [property: Id(1)] int Total,
    [property: Id(2)] int Free,
    [property: Id(3)] int Held,
    [property: Id(4)] int Unavailable,
    [property: Id(5)] int Waiting);
