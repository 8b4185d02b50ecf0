namespace Orleans.Flyte.Abstractions.Identity;

public enum ApiTokenStatus
{
    Valid,

    /// <summary>No token has this id, or the secret does not match: the caller learns nothing more.</summary>
    Unknown,
    Expired,
    Revoked,
}
