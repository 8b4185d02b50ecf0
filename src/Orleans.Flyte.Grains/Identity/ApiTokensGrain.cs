using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Identity;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Identity;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Grains.Identity;

public sealed class ApiTokensGrain(IEventStreamStore store, TimeProvider clock, IOptions<IdentityOptions> options)
    : EventSourcedGrain<ApiTokenState, ApiTokenEvent>(store, clock), IApiTokensGrain
{
    protected override StreamAddress Stream => StreamAddress.Cluster($"tokens/{this.GetPrimaryKeyString()}");

    public async Task<ApiTokenView?> Create(NewApiToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var created = await DecideAndRecord(state => state.Tokens.Any(t => t.Name == token.Name) || state.Find(token.Id) is not null
            ? Decision<ApiTokenEvent, bool>.Unchanged(false)
            : Decision<ApiTokenEvent, bool>.Record(true, new ApiTokenCreated(token.Id, token.Name, token.Owner, token.ExpiresAt, token.SecretHash)));
        return created ? View(State.Find(token.Id)!) : null;
    }

    public Task<IReadOnlyList<ApiTokenView>> List() => Task.FromResult<IReadOnlyList<ApiTokenView>>([.. State.Tokens.Select(View)]);

    public Task<bool> NameTaken(string name) => Task.FromResult(State.Tokens.Any(t => t.Name == name));

    public async Task<ApiTokenView?> Revoke(string id, string? reason)
    {
        if (State.Find(id) is null)
        {
            return null;
        }

        await DecideAndRecord(
            state => state.Find(id) is { Revoked: false }
                ? Decision<ApiTokenEvent, bool>.Record(true, new ApiTokenRevoked(id))
                : Decision<ApiTokenEvent, bool>.Unchanged(false),
            reason);
        return View(State.Find(id)!);
    }

    public async Task<ApiTokenCheck> Authenticate(string id, string secretHash)
    {
        // Compared in constant time, and an unknown id compares against a dummy, so timing tells nothing about the secret.
        var token = State.Find(id);
        var matches = CryptographicOperations.FixedTimeEquals(
            Convert.FromHexString(token?.SecretHash ?? new string('0', 64)),
            secretHash.Length == 64 && secretHash.All(char.IsAsciiHexDigit) ? Convert.FromHexString(secretHash) : new byte[32]);
        if (token is null || !matches)
        {
            return new ApiTokenCheck(ApiTokenStatus.Unknown, null);
        }

        var now = Clock.GetUtcNow();
        if (token.Revoked)
        {
            return new ApiTokenCheck(ApiTokenStatus.Revoked, View(token));
        }

        if (!token.ValidAt(now))
        {
            return new ApiTokenCheck(ApiTokenStatus.Expired, View(token));
        }

        // Last use is kept to a resolution, so a busy CI token does not write an event per request.
        if (token.LastUsedAt is not { } last || now - last >= options.Value.LastUsedResolution)
        {
            await DecideAndRecord(_ => Decision<ApiTokenEvent, bool>.Record(true, new ApiTokenUsed(id)));
        }

        return new ApiTokenCheck(ApiTokenStatus.Valid, View(State.Find(id)!));
    }

    private static ApiTokenView View(ApiTokenRecord t) =>
        new(t.Id, t.Name, ApiTokenText.PrincipalOf(t.Name), t.Owner, t.CreatedAt, t.CreatedBy, t.ExpiresAt, t.LastUsedAt, t.RevokedAt, t.RevokedBy);
}
