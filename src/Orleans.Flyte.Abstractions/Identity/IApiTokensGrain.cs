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
