using Orleans.Concurrency;

namespace Orleans.Flyte.Abstractions.Identity;

/// <summary>The platform API tokens of the cluster, event-sourced in one stream (<see cref="Key"/>). The grain only ever
/// sees a secret's SHA-256 (<see cref="ApiTokenText.Hash"/>), never the secret.</summary>
[Alias("flyte.IApiTokensGrain")]
public interface IApiTokensGrain : IGrainWithStringKey
{
    const string Key = "cluster";

    /// <summary>Records a new token; null when <see cref="NewApiToken.Name"/> is or was already in use (names are never
    /// reused, so the role bindings of a revoked token cannot pass to a new one).</summary>
    [Alias("Create")]
    Task<ApiTokenView?> Create(NewApiToken token);

    [ReadOnly, Alias("List")]
    Task<IReadOnlyList<ApiTokenView>> List();

    /// <summary>Revokes the token; null when there is no token with that id.</summary>
    [Alias("Revoke")]
    Task<ApiTokenView?> Revoke(string id, string? reason);

    /// <summary>Whether a presented token is valid now; compares hashes in constant time and records when it was last used.</summary>
    [Alias("Authenticate")]
    Task<ApiTokenCheck> Authenticate(string id, string secretHash);

    /// <summary>Whether a name was ever used by a token.</summary>
    [ReadOnly, Alias("NameTaken")]
    Task<bool> NameTaken(string name);
}

[GenerateSerializer, Immutable, Alias("flyte.NewApiToken")]
public sealed record NewApiToken(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Owner,
    [property: Id(3)] DateTimeOffset? ExpiresAt,
    [property: Id(4)] string SecretHash);

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

public enum ApiTokenStatus
{
    Valid,

    /// <summary>No token has this id, or the secret does not match: the caller learns nothing more.</summary>
    Unknown,
    Expired,
    Revoked,
}

[GenerateSerializer, Immutable, Alias("flyte.ApiTokenCheck")]
public sealed record ApiTokenCheck([property: Id(0)] ApiTokenStatus Status, [property: Id(1)] ApiTokenView? Token);
