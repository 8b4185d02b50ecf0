using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;

namespace Orleans.Flyte.Api.Auth;

/// <summary>
/// The 401 for a missing, invalid or expired token, whichever scheme read it: <c>WWW-Authenticate: Bearer</c> (RFC 6750,
/// with <c>error="invalid_token"</c> when a token was presented) and a problem details body that says what was wrong.
/// The description comes from the kind of failure, never from the token or a library message that might quote it.
/// </summary>
public static class BearerChallenge
{
    public const string Realm = "orleans-flyte";
    public const string MissingToken = "A bearer token is required.";

    public static Task WriteAsync(HttpContext context, Exception? failure)
    {
        ArgumentNullException.ThrowIfNull(context);
        var detail = failure is null ? MissingToken : Describe(failure);
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = failure is null
            ? $"Bearer realm=\"{Realm}\""
            : $"Bearer realm=\"{Realm}\", error=\"invalid_token\", error_description=\"{detail.Replace("\"", "'", StringComparison.Ordinal)}\"";
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized.").ExecuteAsync(context);
    }

    public static string Describe(Exception failure) => failure switch
    {
        ApiTokenRejectedException rejected => rejected.Message,
        SecurityTokenExpiredException expired => $"The token expired at {expired.Expires:O}.",
        SecurityTokenNotYetValidException early => $"The token is not valid before {early.NotBefore:O}.",
        SecurityTokenInvalidAudienceException => "The token was issued for another audience.",
        SecurityTokenInvalidIssuerException => "The token was issued by another issuer.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token's signature does not verify.",
        _ => "The token is not valid.",
    };
}

/// <summary>Why a presented token was not accepted, in words fit for the caller (never containing the token).</summary>
public sealed class ApiTokenRejectedException(string message) : Exception(message);
