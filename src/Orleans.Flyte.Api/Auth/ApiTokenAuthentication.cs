using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Identity;

namespace Orleans.Flyte.Api.Auth;

/// <summary>
/// Platform API tokens (<c>Authorization: Bearer oft_...</c>): the secret is hashed here and only the hash goes to
/// <see cref="IApiTokensGrain"/>, which compares in constant time. The identity's name is <c>token:NAME</c>. Failure
/// messages name the kind of failure only; the token is never logged.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IClusterClient grains)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (AuthSchemes.BearerToken(Request) is not { } text)
        {
            return Request.Headers.Authorization.Count == 0
                ? AuthenticateResult.NoResult()
                : AuthenticateResult.Fail(new ApiTokenRejectedException("The Authorization header must be 'Bearer TOKEN'."));
        }

        if (!ApiTokenText.TryParse(text, out var id, out var secret))
        {
            return AuthenticateResult.Fail(new ApiTokenRejectedException("The token is not valid."));
        }

        var check = await grains.GetGrain<IApiTokensGrain>(IApiTokensGrain.Key).Authenticate(id, ApiTokenText.Hash(secret));
        return check switch
        {
            { Status: ApiTokenStatus.Valid, Token: { } token } => AuthenticateResult.Success(new AuthenticationTicket(
                new ClaimsPrincipal(new ClaimsIdentity([new Claim(AuthSchemes.SubjectClaim, token.Principal)], AuthSchemes.ApiToken, AuthSchemes.SubjectClaim, AuthSchemes.GroupsClaim)),
                AuthSchemes.ApiToken)),
            { Status: ApiTokenStatus.Expired, Token: { } token } => AuthenticateResult.Fail(new ApiTokenRejectedException($"The token expired at {token.ExpiresAt:O}.")),
            { Status: ApiTokenStatus.Revoked } => AuthenticateResult.Fail(new ApiTokenRejectedException("The token was revoked.")),
            _ => AuthenticateResult.Fail(new ApiTokenRejectedException("The token is not valid.")),
        };
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        await BearerChallenge.WriteAsync(Context, result.Failure);
    }
}
