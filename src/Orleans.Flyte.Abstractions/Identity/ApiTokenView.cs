namespace Orleans.Flyte.Abstractions.Identity;

/// <summary>A token as listings show it: everything but its secret and the secret's hash.</summary>
/// <param name="Principal">The name its requests act as and events record: <c>token:NAME</c>.</param>
[GenerateSerializer, Immutable, Alias("flyte.ApiTokenView")]
public sealed record ApiTokenView(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Principal,
    [property: Id(3)] string Owner,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] string CreatedBy,
    [property: Id(6)] DateTimeOffset? ExpiresAt,
    [property: Id(7)] DateTimeOffset? LastUsedAt,
    [property: Id(8)] DateTimeOffset? RevokedAt,
    [property: Id(9)] string? RevokedBy);
