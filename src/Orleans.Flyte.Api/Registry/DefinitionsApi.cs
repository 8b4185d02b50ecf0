using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Abstractions.Submissions;
using Orleans.Flyte.Api.Auth;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Domain.Identity;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Registry;

/// <summary>Registration and lookup of versioned task and workflow specs in a project/domain.</summary>
public static class DefinitionsApi
{
    public static IEndpointRouteBuilder MapDefinitionsApi(this IEndpointRouteBuilder routes)
    {
        var tasks = routes.MapDomainGroup("/tasks").WithTags("Tasks").Requires(Permission.Read);
        tasks.MapPost("/", RegisterTask).WithName(nameof(RegisterTask)).Requires(Permission.Submit).AcceptsSpec().ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Register a task version (YAML or JSON). Same version and content: 200; new: 201; same version, other content: 409.");
        tasks.MapGet("/", ListTasks).WithName(nameof(ListTasks)).WithSummary("List task names with their latest version.");
        tasks.MapGet("/{name}", ListTaskVersions).WithName(nameof(ListTaskVersions)).WithSummary("List a task's versions.");
        tasks.MapGet("/{name}/versions/{version}", GetTaskVersion).WithName(nameof(GetTaskVersion)).WithSummary("Get one task version.");

        var workflows = routes.MapDomainGroup("/workflows").WithTags("Workflows").Requires(Permission.Read);
        workflows.MapPost("/", RegisterWorkflow).WithName(nameof(RegisterWorkflow)).Requires(Permission.Submit).AcceptsSpec().ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Register a workflow version (YAML or JSON); task, sub-workflow and launch plan references are resolved and pinned.");
        workflows.MapGet("/", ListWorkflows).WithName(nameof(ListWorkflows)).WithSummary("List workflow names with their latest version.");
        workflows.MapGet("/{name}", ListWorkflowVersions).WithName(nameof(ListWorkflowVersions)).WithSummary("List a workflow's versions.");
        workflows.MapGet("/{name}/versions/{version}", GetWorkflowVersion).WithName(nameof(GetWorkflowVersion)).WithSummary("Get one workflow version.");
        return routes;
    }

    public static async Task<Results<Created<DefinitionResponse>, Ok<DefinitionResponse>, ValidationProblem, ProblemHttpResult>> RegisterTask(
        string project, string domain, HttpRequest request, IClusterClient grains)
    {
        var body = await SpecBody.ReadDocumentAsync(request);
        if (body.Unreadable is { } unreadable)
        {
            return unreadable;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var spec = TaskSpecReader.Read(body.Document!);
        if (!spec.IsValid)
        {
            return Problems.InvalidSpec(spec.Errors, "The task spec is not valid.");
        }

        var canonical = CanonicalJson.Serialize(spec.Value!.ToJson());
        var registration = await grains.GetGrain<ITaskDefinitionGrain>(DefinitionKey.Of(project, domain, spec.Value.Name))
            .Register(new RegisterDefinition(spec.Value.Version, canonical, CanonicalJson.Sha256(canonical), NoPins));
        return Outcome(DefinitionKinds.Task, registration, canonical);
    }

    public static async Task<Results<Created<DefinitionResponse>, Ok<DefinitionResponse>, ValidationProblem, ProblemHttpResult>> RegisterWorkflow(
        string project, string domain, HttpRequest request, IClusterClient grains, IExecutionSubmissions submissions)
    {
        var body = await SpecBody.ReadDocumentAsync(request);
        if (body.Unreadable is { } unreadable)
        {
            return unreadable;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var spec = WorkflowSpecReader.Read(body.Document!);
        if (!spec.IsValid)
        {
            return Problems.InvalidSpec(spec.Errors, "The workflow spec is not valid.");
        }

        var workflow = spec.Value!;
        var tasks = await ResolveTasks(project, domain, workflow, grains);

        // Sub-workflows and launch plans are resolved (recursively) and pinned like tasks; a reference to the workflow
        // being registered is a cycle the validator reports without resolving it.
        var children = await submissions.ResolveChildrenAsync(project, domain, workflow with
        {
            Nodes = [.. workflow.Nodes.Where(n => n.Workflow is null || n.Workflow.Name != workflow.Name)],
        }, pins: null);
        var semanticErrors = WorkflowValidator.Validate(workflow, r => tasks.TryGetValue(r, out var t) ? t.Spec : null,
            node => children.TryGetValue(node.Id, out var child) ? child.Interface : null);
        if (semanticErrors.Count > 0)
        {
            return Problems.InvalidSpec(semanticErrors, "The workflow spec is not valid.");
        }

        var pins = tasks.ToDictionary(t => t.Key.ToString(), t => $"{t.Value.View.Name}@{t.Value.View.Version}", StringComparer.Ordinal);
        foreach (var node in workflow.Nodes.Where(n => n.IsChild))
        {
            pins[ResolvedChild.PinKey(node)] = children[node.Id].Pinned;
        }

        var canonical = CanonicalJson.Serialize(workflow.ToJson());
        var registration = await grains.GetGrain<IWorkflowDefinitionGrain>(DefinitionKey.Of(project, domain, workflow.Name))
            .Register(new RegisterDefinition(workflow.Version, canonical, CanonicalJson.Sha256(canonical), pins));
        return Outcome(DefinitionKinds.Workflow, registration, canonical);
    }

    public static Task<Ok<DefinitionNameList>> ListTasks(string project, string domain, IDefinitionCatalog catalog, CancellationToken cancellationToken) =>
        ListNames(DefinitionKinds.Task, project, domain, catalog, cancellationToken);

    public static Task<Ok<DefinitionNameList>> ListWorkflows(string project, string domain, IDefinitionCatalog catalog, CancellationToken cancellationToken) =>
        ListNames(DefinitionKinds.Workflow, project, domain, catalog, cancellationToken);

    /// <param name="asOf">List the versions registered up to this instant (audit replay of the task's stream).</param>
    public static Task<Results<Ok<DefinitionVersionList>, ProblemHttpResult>> ListTaskVersions(
        string project, string domain, string name, DateTimeOffset? asOf, IClusterClient grains, IAuditLog audit, CancellationToken cancellationToken) =>
        ListVersions(DefinitionKinds.Task, project, domain, name, asOf is { } instant
            ? () => audit.DefinitionVersionsAsOfAsync(DefinitionKinds.Task, project, domain, name, instant, cancellationToken)
            : () => grains.GetGrain<ITaskDefinitionGrain>(DefinitionKey.Of(project, domain, name)).ListVersions());

    /// <param name="asOf">List the versions registered up to this instant (audit replay of the workflow's stream).</param>
    public static Task<Results<Ok<DefinitionVersionList>, ProblemHttpResult>> ListWorkflowVersions(
        string project, string domain, string name, DateTimeOffset? asOf, IClusterClient grains, IAuditLog audit, CancellationToken cancellationToken) =>
        ListVersions(DefinitionKinds.Workflow, project, domain, name, asOf is { } instant
            ? () => audit.DefinitionVersionsAsOfAsync(DefinitionKinds.Workflow, project, domain, name, instant, cancellationToken)
            : () => grains.GetGrain<IWorkflowDefinitionGrain>(DefinitionKey.Of(project, domain, name)).ListVersions());

    public static Task<Results<Ok<DefinitionResponse>, ProblemHttpResult>> GetTaskVersion(
        string project, string domain, string name, string version, IClusterClient grains) =>
        GetVersion(DefinitionKinds.Task, project, domain, name, version, grains.GetGrain<ITaskDefinitionGrain>(DefinitionKey.Of(project, domain, name)));

    public static Task<Results<Ok<DefinitionResponse>, ProblemHttpResult>> GetWorkflowVersion(
        string project, string domain, string name, string version, IClusterClient grains) =>
        GetVersion(DefinitionKinds.Workflow, project, domain, name, version, grains.GetGrain<IWorkflowDefinitionGrain>(DefinitionKey.Of(project, domain, name)));

    private static readonly IReadOnlyDictionary<string, string> NoPins = new Dictionary<string, string>();

    private static RouteHandlerBuilder AcceptsSpec(this RouteHandlerBuilder endpoint) => endpoint
        .Accepts<JsonObject>(MediaTypes.Specs[0], MediaTypes.Specs[1..])
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    /// <summary>Every task reference of the workflow, resolved once and in parallel; an unpinned reference resolves to the latest version.</summary>
    private static async Task<Dictionary<TaskReference, (DefinitionView View, TaskSpec Spec)>> ResolveTasks(
        string project, string domain, WorkflowSpec workflow, IClusterClient grains)
    {
        var references = workflow.Nodes.Select(n => n.Task).OfType<TaskReference>().Distinct().ToList(); // a branch node runs no task
        var resolved = await Task.WhenAll(references.Select(r =>
            grains.GetGrain<ITaskDefinitionGrain>(DefinitionKey.Of(project, domain, r.Name)).GetVersion(r.Version)));
        var tasks = new Dictionary<TaskReference, (DefinitionView View, TaskSpec Spec)>();
        for (var i = 0; i < references.Count; i++)
        {
            if (resolved[i] is { } view && SpecDocument.Parse(view.Spec, SpecFormat.Json) is { IsValid: true } stored
                && TaskSpecReader.Read(stored.Value!) is { IsValid: true } taskSpec)
            {
                tasks[references[i]] = (view, taskSpec.Value!);
            }
        }

        return tasks;
    }

    private static async Task<Ok<DefinitionNameList>> ListNames(
        string kind, string project, string domain, IDefinitionCatalog catalog, CancellationToken cancellationToken)
    {
        var names = await catalog.ListNamesAsync(kind, project, domain, cancellationToken);
        return TypedResults.Ok(new DefinitionNameList([.. names.Select(n => new DefinitionNameSummary(n.Name, n.LatestVersion, n.Versions, n.LastRegisteredAt))]));
    }

    private static async Task<Results<Ok<DefinitionVersionList>, ProblemHttpResult>> ListVersions(
        string kind, string project, string domain, string name, Func<Task<IReadOnlyList<DefinitionVersionSummary>>> list)
    {
        var versions = await list();
        return versions.Count == 0
            ? Problems.NotFound($"No {kind} named '{name}' is registered in {project}/{domain}.")
            : TypedResults.Ok(new DefinitionVersionList(name, [.. versions.Select(v => new DefinitionVersionItem(v.Version, v.ContentHash, v.RegisteredAt, v.RegisteredBy))]));
    }

    private static async Task<Results<Ok<DefinitionResponse>, ProblemHttpResult>> GetVersion(
        string kind, string project, string domain, string name, string version, IDefinitionGrain grain)
    {
        var view = await grain.GetVersion(version);
        return view is null
            ? Problems.NotFound($"{kind} '{name}@{version}' is not registered in {project}/{domain}.")
            : TypedResults.Ok(Response(kind, view));
    }

    private static Results<Created<DefinitionResponse>, Ok<DefinitionResponse>, ValidationProblem, ProblemHttpResult> Outcome(
        string kind, Registration registration, string submittedCanonical)
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
