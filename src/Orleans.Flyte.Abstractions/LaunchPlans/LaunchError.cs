namespace Orleans.Flyte.Abstractions.LaunchPlans;

[GenerateSerializer, Immutable, Alias("flyte.LaunchError")]
public sealed record LaunchError([property: Id(0)] string Pointer, [property: Id(1)] string Message);
