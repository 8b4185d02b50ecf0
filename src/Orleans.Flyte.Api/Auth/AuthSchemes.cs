using Microsoft.AspNetCore.Http;

namespace Orleans.Flyte.Api.Auth;

/// <summary>The authentication schemes and the claims every authenticated identity carries, whichever scheme made it.</summary>
public static class AuthSchemes
{
    /// <summary>The default scheme: picks <see cref="ApiToken"/> for <c>oft_</c> tokens, <see cref="Oidc"/> for the rest when OIDC is on.</summary>
    public const string Bearer = "Bearer";
    public const string ApiToken = "ApiToken";
    public const string Oidc = "Oidc";

    /// <summary>Claim types of the identities this API builds (OIDC identities use the configured claims).</summary>
    public const string SubjectClaim = "sub";
    public const string GroupsClaim = "groups";

    /// <summary>Subjects an OIDC token may not claim: they name API tokens, groups and the platform's own components.</summary>
    public static readonly string[] ReservedPrefixes = ["token:", "group:", "system:"];

    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }
}
