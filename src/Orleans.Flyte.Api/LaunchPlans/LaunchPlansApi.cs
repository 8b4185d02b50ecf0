using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Api.Registry;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.LaunchPlans;

/// <summary>Launch plans: registration, the active version, schedules (pause, resume), manual launches and backfills.</summary>
public static class LaunchPlansApi
{
    private const int MaxReason = 1000;

    public static IEndpointRouteBuilder MapLaunchPlansApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/projects/{project}/domains/{domain}/launchplans").WithTags("Launch plans");
        group.MapPost("/", RegisterLaunchPlan).WithName(nameof(RegisterLaunchPlan))
            .WithSummary("Register a launch plan version (YAML or JSON), inactive. Same version and content: 200; new: 201; same version, other content: 409.")
            .Accepts<JsonObject>("application/yaml", "application/json");
        group.MapGet("/", ListLaunchPlans).WithName(nameof(ListLaunchPlans))
            .WithSummary("List launch plan versions; state=active|inactive|archived|all (archived versions are hidden unless asked for).");
        group.MapGet("/{name}", GetLaunchPlan).WithName(nameof(GetLaunchPlan))
            .WithSummary("A launch plan: its versions and their states, the active version, its schedule's next fire times and recent fires.");
        group.MapGet("/{name}/versions/{version}", GetLaunchPlanVersion).WithName(nameof(GetLaunchPlanVersion)).WithSummary("One launch plan version.");
        group.MapPost("/{name}/versions/{version}/activate", (string project, string domain, string name, string version, [FromBody] LaunchPlanTransitionRequest? request, [AsParameters] RegistryServices s) =>
            Transition(project, domain, name, request?.Reason, s, (g, r) => g.Activate(version, r)))
            .WithName("ActivateLaunchPlan").WithSummary("Activate a version: its schedule starts; the previously active version is deactivated in the same step.");
        group.MapPost("/{name}/versions/{version}/deactivate", (string project, string domain, string name, string version, [FromBody] LaunchPlanTransitionRequest? request, [AsParameters] RegistryServices s) =>
            Transition(project, domain, name, request?.Reason, s, (g, r) => g.Deactivate(version, r)))
            .WithName("DeactivateLaunchPlan").WithSummary("Deactivate a version: no fire starts after this returns; manual launches stay allowed.");
        group.MapPost("/{name}/versions/{version}/archive", (string project, string domain, string name, string version, [FromBody] LaunchPlanTransitionRequest? request, [AsParameters] RegistryServices s) =>
            Transition(project, domain, name, request?.Reason, s, (g, r) => g.Archive(version, r)))
            .WithName("ArchiveLaunchPlan").WithSummary("Archive a version: no fires, no manual launches, hidden from default listings.");
        group.MapPost("/{name}/versions/{version}/restore", (string project, string domain, string name, string version, [FromBody] LaunchPlanTransitionRequest? request, [AsParameters] RegistryServices s) =>
            Transition(project, domain, name, request?.Reason, s, (g, r) => g.Restore(version, r)))
            .WithName("RestoreLaunchPlan").WithSummary("Restore an archived version (it comes back inactive).");
        group.MapPost("/{name}/pause", (string project, string domain, string name, [FromBody] LaunchPlanTransitionRequest? request, [AsParameters] RegistryServices s) =>
            Transition(project, domain, name, request?.Reason, s, (g, r) => g.Pause(r)))
            .WithName("PauseLaunchPlan").WithSummary("Pause the active version's schedule (instants during the pause are not caught up).");
        group.MapPost("/{name}/resume", (string project, string domain, string name, [FromBody] LaunchPlanTransitionRequest? request, [AsParameters] RegistryServices s) =>
            Transition(project, domain, name, request?.Reason, s, (g, r) => g.Resume(r)))
            .WithName("ResumeLaunchPlan").WithSummary("Resume the schedule from now.");
        group.MapPost("/{name}/trigger", TriggerLaunchPlan).WithName(nameof(TriggerLaunchPlan))
            .WithSummary("Launch now (the active version, or the one named), optionally overriding inputs the plan does not fix.");
        group.MapPost("/{name}/versions/{version}/backfill", BackfillLaunchPlan).WithName(nameof(BackfillLaunchPlan))
            .WithSummary("One execution per scheduled instant in [from, to) (bounded); an instant that already ran is not run again.");
        return routes;
    }

    public static async Task<IResult> RegisterLaunchPlan(string project, string domain, HttpRequest request, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var (text, format, error) = await SpecBody.ReadAsync(request, request.HttpContext.RequestAborted);
        if (error is not null)
        {
            return error;
        }

        var document = SpecDocument.Parse(text!, format);
        if (!document.IsValid)
        {
            return Problems.InvalidSpec(document.Errors, "The document could not be read.");
        }

        var spec = LaunchPlanSpecReader.Read(document.Value!);
        if (!spec.IsValid)
        {
            return Problems.InvalidSpec(spec.Errors, "The launch plan spec is not valid.");
        }

        var plan = spec.Value!;
        var definition = await services.Grains.GetGrain<IWorkflowDefinitionGrain>(DefinitionKey.Of(project, domain, plan.Workflow.Name)).GetVersion(plan.Workflow.Version);
        if (definition is null)
        {
            return Problems.InvalidSpec([new SpecError("/workflow", $"workflow '{plan.Workflow}' is not registered in {project}/{domain}; register it first")],
                "The launch plan spec is not valid.");
        }

        var workflow = StoredSpec.Workflow(definition.Spec);
        var semanticErrors = LaunchPlanInputs.Validate(plan, workflow);
        if (semanticErrors.Count > 0)
        {
            return Problems.InvalidSpec(semanticErrors, "The launch plan spec is not valid.");
        }

        // The workflow is pinned, and its plan compiled with every pinned task spec, now: a launch plan version never floats.
        var pinned = definition.PinnedTasks.Values.Distinct(StringComparer.Ordinal).ToList();
        var specs = await Task.WhenAll(pinned.Select(async p =>
        {
            var r = TaskReference.Parse(p);
            var view = await services.Grains.GetGrain<ITaskDefinitionGrain>(DefinitionKey.Of(project, domain, r.Name)).GetVersion(r.Version);
            return (Pinned: p, Spec: view?.Spec ?? throw new InvalidOperationException($"Pinned task {p} of workflow {definition.Name}@{definition.Version} is missing."));
        }));
        var bySpec = specs.ToDictionary(s => s.Pinned, s => s.Spec, StringComparer.Ordinal);
        var executionPlan = ExecutionPlanCompiler.Compile(workflow, definition.PinnedTasks, p => bySpec[p]);
        var pinnedWorkflow = $"{definition.Name}@{definition.Version}";
        var canonical = CanonicalJson.Serialize((plan with { Workflow = new TaskReference(definition.Name, definition.Version) }).ToJson());
        var registration = await Grain(services, project, domain, plan.Name).Register(
            new RegisterLaunchPlan(plan.Version, canonical, CanonicalJson.Sha256(canonical), pinnedWorkflow, definition.Spec, executionPlan));
        var response = Response(registration.LaunchPlan);
        var location = $"/api/v1/projects/{project}/domains/{domain}/launchplans/{plan.Name}/versions/{plan.Version}";
        return registration.Outcome switch
        {
            RegistrationOutcome.Created => TypedResults.Created(location, response),
            RegistrationOutcome.AlreadyRegistered => TypedResults.Ok(response),
            _ => Problems.Conflict(
                $"launch plan '{plan.Name}' version '{plan.Version}' is already registered with different content, and versions are immutable. Register the change under a new version.",
                new Dictionary<string, object?>
                {
                    ["differences"] = SpecDiff.Compare(JsonNode.Parse(registration.ExistingSpec), JsonNode.Parse(canonical)),
                }),
        };
    }

    public static async Task<IResult> ListLaunchPlans(
        string project, string domain, string? state, [AsParameters] RegistryServices services, ILaunchPlanCatalog catalog, CancellationToken cancellationToken)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        LaunchPlanStatus? filter = null;
        var all = false;
        switch (state)
        {
            case null:
                break;
            case "all":
                all = true;
                break;
            case var s when Enum.TryParse<LaunchPlanStatus>(s, ignoreCase: true, out var parsed) && !int.TryParse(s, out _):
                filter = parsed;
                break;
            default:
                return Problems.InvalidSpec([new SpecError("state", $"'{state}' is not a state; use active, inactive, archived or all")], "The query is not valid.");
        }

        var rows = await catalog.ListAsync(project, domain, filter, includeArchived: all, cancellationToken);
        return TypedResults.Ok(new LaunchPlanList([.. rows.Select(r => new LaunchPlanSummary(
            r.Name, r.Version, StateText(r.Status), r.Workflow, r.Schedule, r.Paused, r.ScheduledThrough, r.Fired, r.RegisteredAt, r.ChangedAt, r.ChangedBy))]));
    }

    public static async Task<IResult> GetLaunchPlan(string project, string domain, string name, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var view = Names.Dns1123LabelError(name) is null ? await Grain(services, project, domain, name).Get() : null;
        return view is null ? NotFound(project, domain, name) : TypedResults.Ok(Response(view));
    }

    public static async Task<IResult> GetLaunchPlanVersion(string project, string domain, string name, string version, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var view = Names.Dns1123LabelError(name) is null ? await Grain(services, project, domain, name).Get() : null;
        var found = view?.Versions.FirstOrDefault(v => string.Equals(v.Version, version, StringComparison.Ordinal));
        return found is null
            ? Problems.NotFound($"Launch plan '{name}@{version}' is not registered in {project}/{domain}.")
            : TypedResults.Ok(VersionResponse(found));
    }

    public static async Task<IResult> TriggerLaunchPlan(
        string project, string domain, string name, [FromBody] TriggerLaunchPlanRequest? request, HttpContext http, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        if (ReasonError(request?.Reason) is { } reasonError)
        {
            return reasonError;
        }

        if (Names.Dns1123LabelError(name) is not null)
        {
            return NotFound(project, domain, name);
        }

        var key = http.Request.Headers[Executions.ExecutionsApi.IdempotencyHeader].ToString();
        if (key.Length > 200)
        {
            return Problems.BadRequest($"The {Executions.ExecutionsApi.IdempotencyHeader} header may be at most 200 characters.");
        }

        var executionId = key.Length > 0 ? ExecutionIds.FromIdempotencyKey(project, domain, $"launchplan/{name}/{key}") : null;
        var result = await Grain(services, project, domain, name).Trigger(request?.Version, request?.Inputs?.ToJsonString(), request?.Reason, executionId);
        return Launched(project, domain, name, result);
    }

    public static async Task<IResult> BackfillLaunchPlan(
        string project, string domain, string name, string version, [FromBody] BackfillLaunchPlanRequest? request, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        if (ReasonError(request?.Reason) is { } reasonError)
        {
            return reasonError;
        }

        var errors = new List<SpecError>();
        if (request?.From is null)
        {
            errors.Add(new SpecError("/from", "'from' is required (an ISO 8601 instant, e.g. 2026-01-01T00:00:00Z)"));
        }

        if (request?.To is null)
        {
            errors.Add(new SpecError("/to", "'to' is required (an ISO 8601 instant; the range is [from, to))"));
        }

        if (errors.Count > 0)
        {
            return Problems.InvalidSpec(errors, "The backfill is not valid.");
        }

        if (Names.Dns1123LabelError(name) is not null)
        {
            return NotFound(project, domain, name);
        }

        var result = await Grain(services, project, domain, name).Backfill(version, request!.From!.Value, request.To!.Value, request.Reason);
        return Launched(project, domain, name, result);
    }

    private static async Task<IResult> Transition(
        string project, string domain, string name, string? reason, RegistryServices services, Func<ILaunchPlanGrain, string?, Task<TransitionResult>> change)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        if (ReasonError(reason) is { } reasonError)
        {
            return reasonError;
        }

        if (Names.Dns1123LabelError(name) is not null)
        {
            return NotFound(project, domain, name);
        }

        var result = await change(Grain(services, project, domain, name), reason);
        return result.Status switch
        {
            TransitionStatus.NotFound => Problems.NotFound(result.Message!),
            TransitionStatus.Refused => Problems.Conflict(result.Message!),
            _ => TypedResults.Ok(Response(result.LaunchPlan!)),
        };
    }

    private static IResult Launched(string project, string domain, string name, LaunchResult result) => result.Status switch
    {
        TransitionStatus.NotFound => Problems.NotFound(result.Message!),
        TransitionStatus.Refused => Problems.Conflict(result.Message!),
        TransitionStatus.Invalid => Problems.InvalidSpec(result.Errors.Select(e => new SpecError(e.Pointer, e.Message)), result.Message ?? "The request is not valid."),
        _ => TypedResults.Accepted(
            result.Executions.Count == 1 ? ExecutionLocation(project, domain, result.Executions[0].ExecutionId) : (string?)null,
            new LaunchResponse(name, [.. result.Executions.Select(e =>
                new LaunchedExecution(e.ExecutionId, e.ScheduledAt, e.Created, ExecutionLocation(project, domain, e.ExecutionId)))])),
    };

    private static string ExecutionLocation(string project, string domain, string id) => $"/api/v1/projects/{project}/domains/{domain}/executions/{id}";

    private static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem? ReasonError(string? reason) => reason is { Length: > MaxReason }
        ? Problems.InvalidSpec([new SpecError("/reason", $"the reason may be at most {MaxReason} characters")], "The request is not valid.")
        : null;

    private static ILaunchPlanGrain Grain(RegistryServices services, string project, string domain, string name) =>
        services.Grains.GetGrain<ILaunchPlanGrain>(DefinitionKey.Of(project, domain, name));

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NotFound(string project, string domain, string name) =>
        Problems.NotFound($"Launch plan '{name}' does not exist in {project}/{domain}.");

    private static string StateText(LaunchPlanStatus status) => status.ToString().ToLowerInvariant();

    private static LaunchPlanResponse Response(LaunchPlanView view) => new(
        view.Project, view.Domain, view.Name, view.ActiveVersion, view.Paused, view.ScheduledThrough, view.Buffered, view.Fired, view.Skipped, view.Missed,
        view.NextFires, [.. view.Versions.Select(VersionResponse)],
        [.. view.RecentFires.Select(f => new LaunchPlanFireResponse(f.Version, f.ScheduledAt, f.ExecutionId))]);

    private static LaunchPlanVersionResponse VersionResponse(LaunchPlanVersionView v) => new(
        v.Version, StateText(v.Status), v.Workflow, v.ContentHash, v.RegisteredAt, v.RegisteredBy, v.ChangedAt, v.ChangedBy, v.ChangeReason, JsonNode.Parse(v.Spec));
}
