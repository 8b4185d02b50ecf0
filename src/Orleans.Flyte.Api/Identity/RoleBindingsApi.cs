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

/// <summary>
/// Role bindings on the cluster, a project, or a project/domain: the route names the scope. Reading needs read on the
/// scope; granting and revoking needs administer on it (an admin manages its own scope), and manage-cluster on the
/// cluster, so that only a cluster-admin can make another cluster-admin or auditor.
/// </summary>
public static class RoleBindingsApi
{
    public const string Path = "/role-bindings";
    private const int MaxReason = 1000;

    public static IEndpointRouteBuilder MapRoleBindingsApi(this IEndpointRouteBuilder routes)
    {
        var cluster = routes.MapGroup("/api/v1" + Path).WithTags("Identity");
        Map(cluster, "Cluster", Permission.ManageCluster);
        Map(routes.MapProjectGroup(Path).WithTags("Identity"), "Project", Permission.Administer);
        Map(routes.MapDomainGroup(Path).WithTags("Identity"), "Domain", Permission.Administer);
        return routes;
    }

    private static void Map(RouteGroupBuilder group, string scope, Permission manage)
    {
        group.MapGet("/", ListRoleBindings).WithName($"List{scope}RoleBindings").Requires(Permission.Read)
            .WithSummary($"The role bindings on the {scope.ToLowerInvariant()} scope and the scopes within it.");
        group.MapPost("/", GrantRole).WithName($"Grant{scope}Role").Requires(manage)
            .WithSummary($"Bind a role to a principal or group on the {scope.ToLowerInvariant()} scope (idempotent); recorded with who, when and why.");
        group.MapDelete("/", RevokeRole).WithName($"Revoke{scope}Role").Requires(manage).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary($"Remove a role binding from the {scope.ToLowerInvariant()} scope; recorded with who, when and why.");
    }

    public static async Task<Ok<RoleBindingList>> ListRoleBindings(HttpContext http, IClusterClient grains)
    {
        var bindings = await Bindings(grains).List(ScopeOf(http));
        return TypedResults.Ok(new RoleBindingList([.. bindings.Select(Response)]));
    }

    public static async Task<Results<Created<RoleBindingResponse>, Ok<RoleBindingResponse>, ValidationProblem>> GrantRole(
        GrantRoleRequest request, HttpContext http, IClusterClient grains)
    {
        var scope = ScopeOf(http);
        if (Validate(request.Principal, request.Role, request.Reason, scope) is { } invalid)
        {
            return invalid;
        }

        var grant = await Bindings(grains).Grant(request.Principal!, request.Role!, scope, request.Reason);
        return grant.Created
            ? TypedResults.Created(http.Request.Path, Response(grant.Binding))
            : TypedResults.Ok(Response(grant.Binding));
    }

    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> RevokeRole(
        string? principal, string? role, string? reason, HttpContext http, IClusterClient grains)
    {
        var scope = ScopeOf(http);
        if (Validate(principal, role, reason, scope) is { } invalid)
        {
            return invalid;
        }

        return await Bindings(grains).Revoke(principal!, role!, scope, reason ?? "revoked through the API")
            ? TypedResults.NoContent()
            : Problems.NotFound($"{principal} has no {role} binding on {scope}.");
    }

    private static ValidationProblem? Validate(string? principal, string? role, string? reason, AccessScope scope)
    {
        var errors = new List<SpecError>();
        if (string.IsNullOrWhiteSpace(principal) || principal.Length > 256 || principal.Any(char.IsWhiteSpace))
        {
            errors.Add(new SpecError("/principal", "name a subject (alice), an API token (token:ci) or a group (group:ml-team), at most 256 characters without spaces"));
        }
        else if (principal.StartsWith(RoleBinding.GroupPrefix, StringComparison.Ordinal) && principal.Length == RoleBinding.GroupPrefix.Length)
        {
            errors.Add(new SpecError("/principal", "a group binding names the group: group:NAME"));
        }

        if (role is null || !Roles.Exists(role))
        {
            errors.Add(new SpecError("/role", $"the role is one of {string.Join(", ", Roles.All)}"));
        }
        else if (Roles.ClusterOnly(role) && !scope.IsCluster)
        {
            errors.Add(new SpecError("/role", $"{role} applies to the whole cluster: bind it through /api/v1{Path}"));
        }

        if (reason is { Length: > MaxReason })
        {
            errors.Add(new SpecError("/reason", $"the reason may be at most {MaxReason} characters"));
        }

        return errors.Count > 0 ? Problems.InvalidSpec(errors, "The role binding is not valid.") : null;
    }

    private static AccessScope ScopeOf(HttpContext http) => AccessRule.ScopeOf(http.Request.RouteValues);

    private static RoleBindingResponse Response(RoleBinding b) =>
        new(b.Principal, b.Role, b.Scope.Project, b.Scope.Domain, b.GrantedBy, b.GrantedAt, b.Reason);

    private static IRoleBindingsGrain Bindings(IClusterClient grains) => grains.GetGrain<IRoleBindingsGrain>(IRoleBindingsGrain.Key);
}
