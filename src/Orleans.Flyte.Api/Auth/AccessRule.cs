using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Domain.Identity;

namespace Orleans.Flyte.Api.Auth;

/// <summary>
/// Endpoint metadata: the permission an endpoint needs, on the scope its route names (<c>{project}</c>, <c>{domain}</c>;
/// the cluster when it names neither). <see cref="AccessControlMiddleware"/> enforces it; an endpoint without it answers 403
/// to everyone, so forgetting a rule closes the endpoint instead of opening it.
/// </summary>
/// <param name="SignedIn">Any authenticated caller may call it; the handler shows only what the caller may see.</param>
public sealed record AccessRule(Permission Permission, bool SignedIn = false)
{
    public static AccessScope ScopeOf(RouteValueDictionary route) => AccessScope.Of(
        route[ProjectScopeFilter.ProjectRouteValue] as string,
        route[ProjectScopeFilter.DomainRouteValue] as string);
}

public static class PermissionConventions
{
    /// <summary>The endpoint (or every endpoint of the group) needs <paramref name="permission"/> on its route's scope.</summary>
    public static TBuilder Requires<TBuilder>(this TBuilder builder, Permission permission) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessRule(permission));

    /// <summary>Any authenticated caller; the handler filters what it shows by <see cref="CallerAccess"/>.</summary>
    public static TBuilder RequiresSignIn<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessRule(Permission.Read, SignedIn: true));
}
