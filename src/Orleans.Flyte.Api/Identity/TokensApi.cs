using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Orleans.Flyte.Abstractions.Identity;
using Orleans.Flyte.Api.Auth;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Domain.Identity;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Identity;

/// <summary>Platform API tokens for service accounts and CI: created (the secret shown once), listed and revoked by a cluster-admin.</summary>
public static class TokensApi
{
    public const int DefaultExpiryDays = 90;
    public const int MaxExpiryDays = 3650;

    public static IEndpointRouteBuilder MapTokensApi(this IEndpointRouteBuilder routes)
    {
        var tokens = routes.MapGroup("/api/v1/tokens").WithTags("Identity").Requires(Permission.ManageCluster);
        tokens.MapPost("/", CreateToken).WithName(nameof(CreateToken)).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create a platform API token; the answer holds the secret, shown this once. Bind roles to token:NAME.");
        tokens.MapGet("/", ListTokens).WithName(nameof(ListTokens)).WithSummary("Every API token, without secrets: owner, expiry, last use, revocation.");
        tokens.MapDelete("/{id}", RevokeToken).WithName(nameof(RevokeToken)).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Revoke a token: its next request is a 401.");
        return routes;
    }

    public static async Task<Results<Created<CreatedTokenResponse>, ValidationProblem, ProblemHttpResult>> CreateToken(
        CreateTokenRequest request, HttpContext http, IClusterClient grains, TimeProvider clock)
    {
        var errors = new List<SpecError>();
        if (string.IsNullOrEmpty(request.Name))
        {
            errors.Add(new SpecError("/name", "a token needs a name (a DNS-1123 label, e.g. 'ci-deploy')"));
        }
        else if (Names.Dns1123LabelError(request.Name) is { } nameError)
        {
            errors.Add(new SpecError("/name", nameError));
        }

        if (request.Owner is { Length: > 200 })
        {
            errors.Add(new SpecError("/owner", "the owner may be at most 200 characters"));
        }

        if (request.ExpiresInDays is < 1 or > MaxExpiryDays)
        {
            errors.Add(new SpecError("/expiresInDays", $"give the days until the token expires, from 1 to {MaxExpiryDays} (default {DefaultExpiryDays})"));
        }

        if (errors.Count > 0)
        {
            return Problems.InvalidSpec(errors, "The token is not valid.");
        }

        var (text, id, hash) = ApiTokenText.Generate();
        var owner = string.IsNullOrWhiteSpace(request.Owner) ? http.CallerAccess().Principal : request.Owner.Trim();
        var expires = clock.GetUtcNow().AddDays(request.ExpiresInDays ?? DefaultExpiryDays);
        if (await grains.GetGrain<IApiTokensGrain>(IApiTokensGrain.Key).Create(new NewApiToken(id, request.Name!, owner, expires, hash)) is not { } token)
        {
            return Problems.Conflict($"A token named '{request.Name}' exists or existed; token names are never reused. Choose another name.");
        }

        return TypedResults.Created(
            $"/api/v1/tokens/{token.Id}",
            new CreatedTokenResponse(token.Id, token.Name, token.Principal, token.Owner, token.CreatedAt, token.ExpiresAt, text));
    }

    public static async Task<Ok<TokenList>> ListTokens(IClusterClient grains) =>
        TypedResults.Ok(new TokenList(await grains.GetGrain<IApiTokensGrain>(IApiTokensGrain.Key).List()));

    public static async Task<Results<Ok<ApiTokenView>, ProblemHttpResult>> RevokeToken(string id, string? reason, IClusterClient grains) =>
        await grains.GetGrain<IApiTokensGrain>(IApiTokensGrain.Key).Revoke(id, reason ?? "revoked through the API") is { } token
            ? TypedResults.Ok(token)
            : Problems.NotFound($"There is no API token with id '{id}'. GET /api/v1/tokens lists them.");
}
