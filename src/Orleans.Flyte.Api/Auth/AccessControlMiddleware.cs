using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Identity;
using Orleans.Flyte.Domain.Identity;

namespace Orleans.Flyte.Api.Auth;

/// <summary>
/// The one place that decides whether a request may proceed. Open endpoints (<see cref="IAllowAnonymous"/>: health,
/// OpenAPI, docs, metrics unless configured otherwise) pass. Every other endpoint needs an authenticated caller (else 401
/// with <c>WWW-Authenticate</c>, written by the scheme that read the token) and the permission its
/// <see cref="AccessRule"/> metadata declares on the scope its route names, granted by one of the caller's role
/// bindings (else a 403 problem that names the permission and the scope). A route that declares nothing is closed.
/// Runs before the endpoint's filters, so a caller without access to a project cannot learn whether it exists.
/// </summary>
public sealed class AccessControlMiddleware(RequestDelegate next, IOptions<AuthOptions> options, IClusterClient grains)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // Not a route: routing's own rejections (405 method not allowed, 415 unsupported media type) only answer with a status.
        if (context.GetEndpoint() is not RouteEndpoint endpoint || endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            await next(context);
            return;
        }

        if (!options.Value.Enabled)
        {
            context.Features.Set(CallerAccess.Unrestricted);
            await next(context);
            return;
        }

        if (context.User.Identity is not { IsAuthenticated: true, Name: { Length: > 0 } principal } identity)
        {
            await context.ChallengeAsync();
            return;
        }

        var groups = context.User.FindAll(((ClaimsIdentity)identity).RoleClaimType).Select(c => c.Value).ToList();
        var access = new CallerAccess(principal, await grains.GetGrain<IRoleBindingsGrain>(IRoleBindingsGrain.Key).For(principal, groups));
        context.Features.Set(access);

        var rule = endpoint.Metadata.GetMetadata<AccessRule>();
        if (rule is null)
        {
            await Forbid(context, $"{context.Request.Method} {context.Request.Path} declares no permission, so no one may call it.", null, null);
            return;
        }

        var scope = AccessRule.ScopeOf(context.Request.RouteValues);
        if (!rule.SignedIn && !access.Allows(rule.Permission, scope))
        {
            var permission = Roles.Name(rule.Permission);
            await Forbid(context, $"{principal} lacks the permission '{permission}' on {scope}.", permission, scope);
            return;
        }

        await next(context);
    }

    private static Task Forbid(HttpContext context, string detail, string? permission, AccessScope? scope) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.", extensions: new Dictionary<string, object?>
        {
            ["permission"] = permission,
            ["scope"] = scope?.ToString(),
        }).ExecuteAsync(context);
}
