using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Registry;

namespace Orleans.Flyte.Api.Http;

/// <summary>
/// The single place that decides what a request under <c>/projects/{project}</c> is about: an unknown domain or project
/// is a 404 problem that says what exists, before the handler runs. Every route group with <c>{project}</c> in its
/// pattern carries this filter (<see cref="ProjectScopes.MapProjectGroup"/>). Authorization has decided before it runs
/// (<see cref="Auth.AccessControlMiddleware"/>), so a caller without access cannot learn whether a project exists.
/// </summary>
public sealed class ProjectScopeFilter(IClusterClient grains, IOptions<FlyteOptions> options) : IEndpointFilter
{
    public const string ProjectRouteValue = "project";
    public const string DomainRouteValue = "domain";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var route = context.HttpContext.Request.RouteValues;
        var project = route[ProjectRouteValue] as string
            ?? throw new InvalidOperationException($"{nameof(ProjectScopeFilter)} is on a route without {{{ProjectRouteValue}}}.");
        var domain = route[DomainRouteValue] as string;

        var domains = options.Value.Domains;
        if (domain is not null && !domains.Contains(domain, StringComparer.Ordinal))
        {
            return Problems.NotFound($"Domain '{domain}' does not exist. Domains are: {string.Join(", ", domains)}.");
        }

        // A value that is not a project name cannot name a project: 404 without asking a grain (whose stream key it would be).
        if (Domain.Specs.Names.Dns1123LabelError(project) is not null || await grains.GetGrain<IProjectGrain>(project).Get() is not { } view)
        {
            return Problems.NotFound(ProjectNotFound(project));
        }

        context.HttpContext.Features.Set(new ProjectScope(view, domain));
        return await next(context);
    }

    public static string ProjectNotFound(string project) =>
        $"Project '{project}' does not exist. Create it first: POST /api/v1/projects with {{\"name\": \"{project}\"}}.";
}

public static class ProjectScopes
{
    public const string ProjectPrefix = "/api/v1/projects/{project}";
    public const string DomainPrefix = ProjectPrefix + "/domains/{domain}";

    /// <summary>A route group under <c>/api/v1/projects/{project}</c> (<paramref name="pattern"/> appended), scoped by
    /// <see cref="ProjectScopeFilter"/>; its 404 for an unknown project or domain is part of every operation's description.</summary>
    public static RouteGroupBuilder MapProjectGroup(this IEndpointRouteBuilder routes, string pattern = "")
    {
        var group = routes.MapGroup(ProjectPrefix + pattern);
        group.AddEndpointFilter<ProjectScopeFilter>();
        group.ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    /// <summary>A route group under <c>/api/v1/projects/{project}/domains/{domain}</c>, scoped by <see cref="ProjectScopeFilter"/>.</summary>
    public static RouteGroupBuilder MapDomainGroup(this IEndpointRouteBuilder routes, string pattern) =>
        routes.MapProjectGroup("/domains/{domain}" + pattern);
}
