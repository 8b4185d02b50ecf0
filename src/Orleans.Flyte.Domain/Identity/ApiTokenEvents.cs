using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Identity;

/// <summary>Platform API tokens of the cluster, in one stream. The secret itself is never stored: only its SHA-256.</summary>
[GenerateSerializer, Immutable, Alias("flyte.ApiTokenEvent")]
public abstract record ApiTokenEvent : DomainEvent;

/// <param name="Id">The public part of the token (it names the token in its text, so the secret's hash can be found
/// without comparing against every stored hash).</param>
/// <param name="SecretHash">Lower-case hex SHA-256 of the secret part.</param>
[GenerateSerializer, Immutable, Alias("flyte.ApiTokenCreated")]
public sealed record ApiTokenCreated(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Owner,
    [property: Id(3)] DateTimeOffset? ExpiresAt,
    [property: Id(4)] string SecretHash) : ApiTokenEvent;

/// <summary>The token authenticated a request (recorded at most once per <c>LastUsedResolution</c>, not per request).</summary>
[GenerateSerializer, Immutable, Alias("flyte.ApiTokenUsed")]
public sealed record ApiTokenUsed([property: Id(0)] string Id) : ApiTokenEvent;

[GenerateSerializer, Immutable, Alias("flyte.ApiTokenRevoked")]
public sealed record ApiTokenRevoked([property: Id(0)] string Id) : ApiTokenEvent;

[GenerateSerializer, Immutable, Alias("flyte.ApiTokenRecord")]
public sealed record ApiTokenRecord(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Owner,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] string CreatedBy,
    [property: Id(5)] DateTimeOffset? ExpiresAt,
    [property: Id(6)] string SecretHash,
    [property: Id(7)] DateTimeOffset? LastUsedAt,
    [property: Id(8)] DateTimeOffset? RevokedAt,
    [property: Id(9)] string? RevokedBy)
{
    public bool Revoked => RevokedAt is not null;

    public bool ValidAt(DateTimeOffset now) => !Revoked && (ExpiresAt is not { } expires || now < expires);
}

[GenerateSerializer, Alias("flyte.ApiTokenState")]
public sealed class ApiTokenState : IEventSourcedState<ApiTokenEvent>
{
    [Id(0)] private readonly Dictionary<string, ApiTokenRecord> _tokens = new(StringComparer.Ordinal);

    public IEnumerable<ApiTokenRecord> Tokens => _tokens.Values.OrderBy(t => t.CreatedAt).ThenBy(t => t.Id, StringComparer.Ordinal);

    public ApiTokenRecord? Find(string id) => _tokens.GetValueOrDefault(id);

    /// <summary>The token with this name that is not revoked (names are unique among those).</summary>
    public ApiTokenRecord? Live(string name) =>
        _tokens.Values.FirstOrDefault(t => !t.Revoked && string.Equals(t.Name, name, StringComparison.Ordinal));

    public void Apply(ApiTokenEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        switch (@event)
        {
            case ApiTokenCreated e:
                _tokens[e.Id] = new ApiTokenRecord(e.Id, e.Name, e.Owner, e.Meta.At, e.Meta.Principal, e.ExpiresAt, e.SecretHash, null, null, null);
                break;
            case ApiTokenUsed e when _tokens.TryGetValue(e.Id, out var used):
                _tokens[e.Id] = used with { LastUsedAt = e.Meta.At };
                break;
            case ApiTokenRevoked e when _tokens.TryGetValue(e.Id, out var revoked) && !revoked.Revoked:
                _tokens[e.Id] = revoked with { RevokedAt = e.Meta.At, RevokedBy = e.Meta.Principal };
                break;
        }
    }
}
