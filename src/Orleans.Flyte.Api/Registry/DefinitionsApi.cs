using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Registry;

/// <summary>Registration and lookup of versioned task and workflow specs in a project/domain.</summary>
public static class DefinitionsApi
{
    public static IEndpointRouteBuilder MapDefinitionsApi(this IEndpointRouteBuilder routes)
    {
        var domain = routes.MapGroup("/api/v1/projects/{project}/domains/{domain}");

        var tasks = domain.MapGroup("/tasks").WithTags("Tasks");
        tasks.MapPost("/", RegisterTask).WithName(nameof(RegisterTask))
            .WithSummary("Register a task version (YAML or JSON). Same version and content: 200; new: 201; same version, other content: 409.")
            .Accepts<JsonObject>("application/yaml", "application/json");
        tasks.MapGet("/", (string project, string domain, [AsParameters] RegistryServices s, IDefinitionCatalog catalog, CancellationToken ct) =>
            ListNames(DefinitionKinds.Task, project, domain, s, catalog, ct)).WithName("ListTasks").WithSummary("List task names with their latest version.");
        tasks.MapGet("/{name}", (string project, string domain, string name, [AsParameters] RegistryServices s) =>
            ListVersions<ITaskDefinitionGrain>(DefinitionKinds.Task, project, domain, name, s)).WithName("ListTaskVersions").WithSummary("List a task's versions.");
        tasks.MapGet("/{name}/versions/{version}", (string project, string domain, string name, string version, [AsParameters] RegistryServices s) =>
            GetVersion<ITaskDefinitionGrain>(DefinitionKinds.Task, project, domain, name, version, s)).WithName("GetTaskVersion").WithSummary("Get one task version.");

        var workflows = domain.MapGroup("/workflows").WithTags("Workflows");
        workflows.MapPost("/", RegisterWorkflow).WithName(nameof(RegisterWorkflow))
            .WithSummary("Register a workflow version (YAML or JSON); task references are resolved and pinned.")
            .Accepts<JsonObject>("application/yaml", "application/json");
        workflows.MapGet("/", (string project, string domain, [AsParameters] RegistryServices s, IDefinitionCatalog catalog, CancellationToken ct) =>
            ListNames(DefinitionKinds.Workflow, project, domain, s, catalog, ct)).WithName("ListWorkflows").WithSummary("List workflow names with their latest version.");
        workflows.MapGet("/{name}", (string project, string domain, string name, [AsParameters] RegistryServices s) =>
            ListVersions<IWorkflowDefinitionGrain>(DefinitionKinds.Workflow, project, domain, name, s)).WithName("ListWorkflowVersions").WithSummary("List a workflow's versions.");
        workflows.MapGet("/{name}/versions/{version}", (string project, string domain, string name, string version, [AsParameters] RegistryServices s) =>
            GetVersion<IWorkflowDefinitionGrain>(DefinitionKinds.Workflow, project, domain, name, version, s)).WithName("GetWorkflowVersion").WithSummary("Get one workflow version.");
        return routes;
    }

    public static async Task<IResult> RegisterTask(string project, string domain, HttpRequest request, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var (document, error) = await ReadDocument(request);
        if (error is not null)
        {
            return error;
        }

        var spec = TaskSpecReader.Read(document!);
        if (!spec.IsValid)
        {
            return Problems.InvalidSpec(spec.Errors, "The task spec is not valid.");
        }

        var grain = services.Grains.GetGrain<ITaskDefinitionGrain>(DefinitionKey.Of(project, domain, spec.Value!.Name));
        var canonical = CanonicalJson.Serialize(spec.Value.ToJson());
        var registration = await grain.Register(new RegisterDefinition(spec.Value.Version, canonical, CanonicalJson.Sha256(canonical), NoPins));
        return Outcome(DefinitionKinds.Task, registration, canonical);
    }

    public static async Task<IResult> RegisterWorkflow(string project, string domain, HttpRequest request, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var (document, error) = await ReadDocument(request);
        if (error is not null)
        {
            return error;
        }

        var spec = WorkflowSpecReader.Read(document!);
        if (!spec.IsValid)
        {
            return Problems.InvalidSpec(spec.Errors, "The workflow spec is not valid.");
        }

        var workflow = spec.Value!;

        // Resolve every task reference once, in parallel; an unpinned reference resolves to the latest version.
        var references = workflow.Nodes.Select(n => n.Task).Distinct().ToList();
        var resolved = await Task.WhenAll(references.Select(r =>
            services.Grains.GetGrain<ITaskDefinitionGrain>(DefinitionKey.Of(project, domain, r.Name)).GetVersion(r.Version)));
        var tasks = new Dictionary<TaskReference, (DefinitionView View, TaskSpec Spec)>();
        for (var i = 0; i < references.Count; i++)
        {
            if (resolved[i] is { } view && SpecDocument.Parse(view.Spec, SpecFormat.Json) is { IsValid: true } stored
                && TaskSpecReader.Read(stored.Value!) is { IsValid: true } taskSpec)
            {
                tasks[references[i]] = (view, taskSpec.Value!);
            }
        }

        var semanticErrors = WorkflowValidator.Validate(workflow, r => tasks.TryGetValue(r, out var t) ? t.Spec : null);
        if (semanticErrors.Count > 0)
        {
            return Problems.InvalidSpec(semanticErrors, "The workflow spec is not valid.");
        }

        var pins = tasks.ToDictionary(t => t.Key.ToString(), t => $"{t.Value.View.Name}@{t.Value.View.Version}", StringComparer.Ordinal);
        var canonical = CanonicalJson.Serialize(workflow.ToJson());
        var grain = services.Grains.GetGrain<IWorkflowDefinitionGrain>(DefinitionKey.Of(project, domain, workflow.Name));
        var registration = await grain.Register(new RegisterDefinition(workflow.Version, canonical, CanonicalJson.Sha256(canonical), pins));
        return Outcome(DefinitionKinds.Workflow, registration, canonical);
    }

    public static async Task<IResult> ListNames(
        string kind, string project, string domain, RegistryServices services, IDefinitionCatalog catalog, CancellationToken cancellationToken)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var names = await catalog.ListNamesAsync(kind, project, domain, cancellationToken);
        return TypedResults.Ok(new DefinitionNameList([.. names.Select(n => new DefinitionNameSummary(n.Name, n.LatestVersion, n.Versions, n.LastRegisteredAt))]));
    }

    public static async Task<IResult> ListVersions<TGrain>(string kind, string project, string domain, string name, RegistryServices services)
        where TGrain : IDefinitionGrain
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var versions = await services.Grains.GetGrain<TGrain>(DefinitionKey.Of(project, domain, name)).ListVersions();
        return versions.Count == 0
            ? Problems.NotFound($"No {kind} named '{name}' is registered in {project}/{domain}.")
            : TypedResults.Ok(new DefinitionVersionList(name, [.. versions.Select(v => new DefinitionVersionItem(v.Version, v.ContentHash, v.RegisteredAt, v.RegisteredBy))]));
    }

    public static async Task<IResult> GetVersion<TGrain>(string kind, string project, string domain, string name, string version, RegistryServices services)
        where TGrain : IDefinitionGrain
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var view = await services.Grains.GetGrain<TGrain>(DefinitionKey.Of(project, domain, name)).GetVersion(version);
        return view is null
            ? Problems.NotFound($"{kind} '{name}@{version}' is not registered in {project}/{domain}.")
            : TypedResults.Ok(Response(kind, view));
    }

    private static readonly IReadOnlyDictionary<string, string> NoPins = new Dictionary<string, string>();

    private static async Task<(JsonObject? Document, IResult? Error)> ReadDocument(HttpRequest request)
    {
        var (text, format, error) = await SpecBody.ReadAsync(request, request.HttpContext.RequestAborted);
        if (error is not null)
        {
            return (null, error);
        }

        var parsed = SpecDocument.Parse(text!, format);
        return parsed.IsValid ? (parsed.Value, null) : (null, Problems.InvalidSpec(parsed.Errors, "The document could not be read."));
    }

    private static IResult Outcome(string kind, Registration registration, string submittedCanonical)
    {
        var response = Response(kind, registration.Definition);
        var location = $"/api/v1/projects/{response.Project}/domains/{response.Domain}/{kind}s/{response.Name}/versions/{response.Version}";
        return registration.Outcome switch
        {
            RegistrationOutcome.Created => TypedResults.Created(location, response),
            RegistrationOutcome.AlreadyRegistered => TypedResults.Ok(response),
            _ => Problems.Conflict(
                $"{kind} '{response.Name}' version '{response.Version}' is already registered with different content, and versions are immutable. " +
                "Register the change under a new version.",
                new Dictionary<string, object?>
                {
                    ["existingContentHash"] = response.ContentHash,
                    ["differences"] = SpecDiff.Compare(JsonNode.Parse(registration.Definition.Spec), JsonNode.Parse(submittedCanonical)),
                }),
        };
    }

    private static DefinitionResponse Response(string kind, DefinitionView view) => new(
        kind, view.Project, view.Domain, view.Name, view.Version, view.ContentHash, view.RegisteredAt, view.RegisteredBy,
        JsonNode.Parse(view.Spec), kind == DefinitionKinds.Workflow ? view.PinnedTasks : null);
}

/// <summary>What registry endpoints need, bound with <c>[AsParameters]</c>.</summary>
public readonly record struct RegistryServices(IClusterClient Grains, IOptions<FlyteOptions> Options)
{
    /// <summary>404 with what does exist when the domain or the project is unknown; null when both exist.</summary>
    public async Task<IResult?> CheckScope(string project, string domain)
    {
        var domains = Options.Value.Domains;
        if (!domains.Contains(domain, StringComparer.Ordinal))
        {
            return Problems.NotFound($"Domain '{domain}' does not exist. Domains are: {string.Join(", ", domains)}.");
        }

        return await Grains.GetGrain<IProjectGrain>(project).Get() is null ? Problems.NotFound(ProjectsApi.ProjectNotFound(project)) : null;
    }
}
