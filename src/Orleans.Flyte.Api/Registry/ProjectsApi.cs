using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Api.Auth;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Domain.Identity;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Registry;

public static class ProjectsApi
{
    public static IEndpointRouteBuilder MapProjectsApi(this IEndpointRouteBuilder routes)
    {
        var projects = routes.MapGroup("/api/v1/projects").WithTags("Projects");
        projects.MapPost("/", CreateProject).WithName(nameof(CreateProject)).Requires(Permission.ManageCluster).WithSummary("Create a project (idempotent).");
        projects.MapGet("/", ListProjects).WithName(nameof(ListProjects)).RequiresSignIn().WithSummary("List projects.");

        var project = routes.MapProjectGroup().WithTags("Projects").Requires(Permission.Read);
        project.MapGet("/", GetProject).WithName(nameof(GetProject)).WithSummary("Get a project.");
        project.MapGet("/domains", ListDomains).WithName(nameof(ListDomains)).WithSummary("List a project's domains.");
        return routes;
    }

    public static async Task<Results<Created<ProjectResponse>, Ok<ProjectResponse>, ValidationProblem>> CreateProject(
        CreateProjectRequest request, IClusterClient grains, IOptions<FlyteOptions> options)
    {
        var errors = new List<SpecError>();
        if (string.IsNullOrEmpty(request.Name))
        {
            errors.Add(new SpecError("/name", "a project needs a name (a DNS-1123 label, e.g. 'quant-research')"));
        }
        else if (Names.Dns1123LabelError(request.Name) is { } nameError)
        {
            errors.Add(new SpecError("/name", nameError));
        }

        if (request.DisplayName is { Length: > 200 })
        {
            errors.Add(new SpecError("/displayName", "the display name may be at most 200 characters"));
        }

        if (request.Description is { Length: > 4096 })
        {
            errors.Add(new SpecError("/description", "the description may be at most 4096 characters"));
        }

        if (errors.Count > 0)
        {
            return Problems.InvalidSpec(errors, "The project is not valid.");
        }

        var creation = await grains.GetGrain<IProjectGrain>(request.Name!).Create(
            new CreateProject(request.Name!, request.DisplayName, request.Description));
        var response = Response(creation.Project, options.Value);
        return creation.Created
            ? TypedResults.Created($"/api/v1/projects/{response.Name}", response)
            : TypedResults.Ok(response);
    }

    /// <summary>The projects the caller may read something in.</summary>
    public static async Task<Ok<ProjectList>> ListProjects(
        IProjectCatalog catalog, HttpContext http, IOptions<FlyteOptions> options, CancellationToken cancellationToken)
    {
        var projects = await catalog.ListAsync(cancellationToken);
        var access = http.CallerAccess();
        return TypedResults.Ok(new ProjectList([.. projects.Where(p => access.CanRead(p.Name)).Select(p => Response(p, options.Value))]));
    }

    /// <summary>The project the scope filter found (it answered 404 for an unknown one).</summary>
    public static Ok<ProjectResponse> GetProject(string project, HttpContext http, IOptions<FlyteOptions> options) =>
        TypedResults.Ok(Response(http.ProjectScope().Project, options.Value));

    public static Ok<DomainList> ListDomains(string project, IOptions<FlyteOptions> options) => TypedResults.Ok(new DomainList(options.Value.Domains));

    private static ProjectResponse Response(ProjectView view, FlyteOptions options) =>
        new(view.Name, view.DisplayName, view.Description, view.CreatedAt, view.CreatedBy, options.Domains);
}
