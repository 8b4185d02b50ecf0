namespace Orleans.Flyte.Abstractions.Identity;

[GenerateSerializer, Immutable, Alias("flyte.NewApiToken")]
public sealed record NewApiToken(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Owner,
    [property: Id(3)] DateTimeOffset? ExpiresAt,
    [property: Id(4)] string SecretHash);
