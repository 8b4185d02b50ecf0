using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Abstractions.Submissions;
using Orleans.Flyte.Api.Executions;
using Orleans.Flyte.Api.Auth;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Domain.Identity;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.LaunchPlans;

/// <summary>Launch plans: registration, the active version, schedules (pause, resume), manual launches and backfills.</summary>
public static class LaunchPlansApi
{
    private const int MaxReason = 1000;

    public static IEndpointRouteBuilder MapLaunchPlansApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapDomainGroup("/launchplans").WithTags("Launch plans").Requires(Permission.Read);
        group.MapPost("/", RegisterLaunchPlan).WithName(nameof(RegisterLaunchPlan)).Requires(Permission.Submit)
            .Accepts<JsonObject>(MediaTypes.Specs[0], MediaTypes.Specs[1..])
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithSummary("Register a launch plan version (YAML or JSON), inactive. Same version and content: 200; new: 201; same version, other content: 409.");
        group.MapGet("/", ListLaunchPlans).WithName(nameof(ListLaunchPlans))
            .WithSummary("List launch plan versions; state=active|inactive|archived|all (archived versions are hidden unless asked for).");
        group.MapGet("/{name}", GetLaunchPlan).WithName(nameof(GetLaunchPlan))
            .WithSummary("A launch plan: its versions and their states, the active version, its schedule's next fire times and recent fires.");
        group.MapGet("/{name}/versions/{version}", GetLaunchPlanVersion).WithName(nameof(GetLaunchPlanVersion)).WithSummary("One launch plan version.");
        group.MapPost("/{name}/versions/{version}/activate", ActivateLaunchPlan).WithName(nameof(ActivateLaunchPlan)).Requires(Permission.Administer).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Activate a version: its schedule starts; the previously active version is deactivated in the same step.");
        group.MapPost("/{name}/versions/{version}/deactivate", DeactivateLaunchPlan).WithName(nameof(DeactivateLaunchPlan)).Requires(Permission.Administer).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Deactivate a version: no fire starts after this returns; manual launches stay allowed.");
        group.MapPost("/{name}/versions/{version}/archive", ArchiveLaunchPlan).WithName(nameof(ArchiveLaunchPlan)).Requires(Permission.Administer).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Archive a version: no fires, no manual launches, hidden from default listings.");
        group.MapPost("/{name}/versions/{version}/restore", RestoreLaunchPlan).WithName(nameof(RestoreLaunchPlan)).Requires(Permission.Administer).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Restore an archived version (it comes back inactive).");
        group.MapPost("/{name}/deactivate", DeactivateWholeLaunchPlan).WithName(nameof(DeactivateWholeLaunchPlan)).Requires(Permission.Administer).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Deactivate the launch plan by name: its active version (whichever it is) stops firing; one event.");
        group.MapPost("/{name}/archive", ArchiveWholeLaunchPlan).WithName(nameof(ArchiveWholeLaunchPlan)).Requires(Permission.Administer).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Archive the whole launch plan: every version, in one event; the active version's schedule stops when this returns.");
        group.MapPost("/{name}/restore", RestoreWholeLaunchPlan).WithName(nameof(RestoreWholeLaunchPlan)).Requires(Permission.Administer).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Restore every archived version of the launch plan (inactive), in one event.");
        group.MapPost("/{name}/pause", PauseLaunchPlan).WithName(nameof(PauseLaunchPlan)).Requires(Permission.Administer).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Pause the active version's schedule (instants during the pause are not caught up).");
        group.MapPost("/{name}/resume", ResumeLaunchPlan).WithName(nameof(ResumeLaunchPlan)).Requires(Permission.Administer).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Resume the schedule from now.");
        group.MapPost("/{name}/trigger", TriggerLaunchPlan).WithName(nameof(TriggerLaunchPlan)).Requires(Permission.Submit).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Launch now (the active version, or the one named), optionally overriding inputs the plan does not fix.");
        group.MapPost("/{name}/versions/{version}/backfill", BackfillLaunchPlan).WithName(nameof(BackfillLaunchPlan)).Requires(Permission.Submit).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("One execution per scheduled instant in [from, to) (bounded); an instant that already ran is not run again.");
        return routes;
    }

    public static async Task<Results<Created<LaunchPlanResponse>, Ok<LaunchPlanResponse>, ValidationProblem, ProblemHttpResult>> RegisterLaunchPlan(
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

        var spec = LaunchPlanSpecReader.Read(body.Document!);
        if (!spec.IsValid)
        {
            return Problems.InvalidSpec(spec.Errors, "The launch plan spec is not valid.");
        }

        // The workflow is pinned, and its plan compiled with every pinned task spec, now: a launch plan version never floats.
        var plan = spec.Value!;
        if (await submissions.ResolveAsync(project, domain, plan.Workflow) is not { } workflow)
        {
            return Problems.InvalidSpec([new SpecError("/workflow", $"workflow '{plan.Workflow}' is not registered in {project}/{domain}; register it first")],
                "The launch plan spec is not valid.");
        }

        if (LaunchPlanInputs.Validate(plan, workflow.Workflow) is { Count: > 0 } inputErrors)
        {
            return Problems.InvalidSpec(inputErrors, "The launch plan spec is not valid.");
        }

        if (await submissions.CheckGpusAsync(workflow.Plan) is { Count: > 0 } gpuErrors)
        {
            return Problems.InvalidSpec(gpuErrors, "The launch plan asks for GPUs no node has.");
        }

        var canonical = CanonicalJson.Serialize((plan with { Workflow = new TaskReference(workflow.Name, workflow.Version) }).ToJson());
        var registration = await Grain(grains, project, domain, plan.Name).Register(
            new RegisterLaunchPlan(plan.Version, canonical, CanonicalJson.Sha256(canonical), workflow.Pinned, workflow.Spec, workflow.Plan));
        var response = Response(registration.LaunchPlan);
        return registration.Outcome switch
        {
            RegistrationOutcome.Created => TypedResults.Created($"/api/v1/projects/{project}/domains/{domain}/launchplans/{plan.Name}/versions/{plan.Version}", response),
            RegistrationOutcome.AlreadyRegistered => TypedResults.Ok(response),
            _ => Problems.Conflict(
                $"launch plan '{plan.Name}' version '{plan.Version}' is already registered with different content, and versions are immutable. Register the change under a new version.",
                new Dictionary<string, object?> { ["differences"] = SpecDiff.Compare(JsonNode.Parse(registration.ExistingSpec), JsonNode.Parse(canonical)) }),
        };
    }

    public static async Task<Results<Ok<LaunchPlanList>, ValidationProblem>> ListLaunchPlans(
        string project, string domain, string? state, ILaunchPlanCatalog catalog, CancellationToken cancellationToken)
    {
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

    /// <param name="asOf">The launch plan as it stood at this instant (audit replay): which version was active, who changed
    /// each version and why, and the next fires as seen from then.</param>
    public static async Task<Results<Ok<LaunchPlanResponse>, ProblemHttpResult>> GetLaunchPlan(
        string project, string domain, string name, DateTimeOffset? asOf, IClusterClient grains, IAuditLog audit, CancellationToken cancellationToken) =>
        await (asOf is { } instant ? audit.LaunchPlanAsOfAsync(project, domain, name, instant, cancellationToken) : View(grains, project, domain, name)) is { } view
            ? TypedResults.Ok(Response(view))
            : NotFound(project, domain, name);

    public static async Task<Results<Ok<LaunchPlanVersionResponse>, ProblemHttpResult>> GetLaunchPlanVersion(
        string project, string domain, string name, string version, IClusterClient grains) =>
        (await View(grains, project, domain, name))?.Versions.FirstOrDefault(v => string.Equals(v.Version, version, StringComparison.Ordinal)) is { } found
            ? TypedResults.Ok(VersionResponse(found))
            : Problems.NotFound($"Launch plan '{name}@{version}' is not registered in {project}/{domain}.");

    public static Task<Results<Ok<LaunchPlanResponse>, ValidationProblem, ProblemHttpResult>> ActivateLaunchPlan(
        string project, string domain, string name, string version, [FromBody] LaunchPlanTransitionRequest? request, IClusterClient grains) =>
        Transition(project, domain, name, request, grains, (g, r) => g.Activate(version, r));

    public static Task<Results<Ok<LaunchPlanResponse>, ValidationProblem, ProblemHttpResult>> DeactivateLaunchPlan(
        string project, string domain, string name, string version, [FromBody] LaunchPlanTransitionRequest? request, IClusterClient grains) =>
        Transition(project, domain, name, request, grains, (g, r) => g.Deactivate(version, r));

    public static Task<Results<Ok<LaunchPlanResponse>, ValidationProblem, ProblemHttpResult>> ArchiveLaunchPlan(
        string project, string domain, string name, string version, [FromBody] LaunchPlanTransitionRequest? request, IClusterClient grains) =>
        Transition(project, domain, name, request, grains, (g, r) => g.Archive(version, r));

    public static Task<Results<Ok<LaunchPlanResponse>, ValidationProblem, ProblemHttpResult>> RestoreLaunchPlan(
        string project, string domain, string name, string version, [FromBody] LaunchPlanTransitionRequest? request, IClusterClient grains) =>
        Transition(project, domain, name, request, grains, (g, r) => g.Restore(version, r));

    public static Task<Results<Ok<LaunchPlanResponse>, ValidationProblem, ProblemHttpResult>> DeactivateWholeLaunchPlan(
        string project, string domain, string name, [FromBody] LaunchPlanTransitionRequest? request, IClusterClient grains) =>
        Transition(project, domain, name, request, grains, (g, r) => g.DeactivatePlan(r));

    public static Task<Results<Ok<LaunchPlanResponse>, ValidationProblem, ProblemHttpResult>> ArchiveWholeLaunchPlan(
        string project, string domain, string name, [FromBody] LaunchPlanTransitionRequest? request, IClusterClient grains) =>
        Transition(project, domain, name, request, grains, (g, r) => g.ArchivePlan(r));

    public static Task<Results<Ok<LaunchPlanResponse>, ValidationProblem, ProblemHttpResult>> RestoreWholeLaunchPlan(
        string project, string domain, string name, [FromBody] LaunchPlanTransitionRequest? request, IClusterClient grains) =>
        Transition(project, domain, name, request, grains, (g, r) => g.RestorePlan(r));

    public static Task<Results<Ok<LaunchPlanResponse>, ValidationProblem, ProblemHttpResult>> PauseLaunchPlan(
        string project, string domain, string name, [FromBody] LaunchPlanTransitionRequest? request, IClusterClient grains) =>
        Transition(project, domain, name, request, grains, (g, r) => g.Pause(r));

    public static Task<Results<Ok<LaunchPlanResponse>, ValidationProblem, ProblemHttpResult>> ResumeLaunchPlan(
        string project, string domain, string name, [FromBody] LaunchPlanTransitionRequest? request, IClusterClient grains) =>
        Transition(project, domain, name, request, grains, (g, r) => g.Resume(r));

    public static async Task<Results<Accepted<LaunchResponse>, ValidationProblem, ProblemHttpResult>> TriggerLaunchPlan(
        string project, string domain, string name, [FromBody] TriggerLaunchPlanRequest? request, HttpRequest http, IClusterClient grains)
    {
        if (ReasonError(request?.Reason) is { } reasonError)
        {
            return reasonError;
        }

        if (Names.Dns1123LabelError(name) is not null)
        {
            return NotFound(project, domain, name);
        }

        if (IdempotencyKey.Read(http, out var key) is { } badKey)
        {
            return badKey;
        }

        // The key names the execution, in a namespace of its own per launch plan.
        var executionId = key is null ? null : ExecutionIds.FromIdempotencyKey(project, domain, $"launchplan/{name}/{key}");
        var result = await Grain(grains, project, domain, name).Trigger(request?.Version, request?.Inputs?.ToJsonString(), request?.Reason, executionId);
        return Launched(project, domain, name, result);
    }

    public static async Task<Results<Accepted<LaunchResponse>, ValidationProblem, ProblemHttpResult>> BackfillLaunchPlan(
        string project, string domain, string name, string version, [FromBody] BackfillLaunchPlanRequest? request, IClusterClient grains)
    {
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

        if (errors.Count > 0 || request is not { From: { } from, To: { } to })
        {
            return Problems.InvalidSpec(errors, "The backfill is not valid.");
        }

        if (Names.Dns1123LabelError(name) is not null)
        {
            return NotFound(project, domain, name);
        }

        return Launched(project, domain, name, await Grain(grains, project, domain, name).Backfill(version, from, to, request.Reason));
    }

    private static async Task<Results<Ok<LaunchPlanResponse>, ValidationProblem, ProblemHttpResult>> Transition(
        string project, string domain, string name, LaunchPlanTransitionRequest? request, IClusterClient grains,
        Func<ILaunchPlanGrain, string?, Task<TransitionResult>> change)
    {
        if (ReasonError(request?.Reason) is { } reasonError)
        {
            return reasonError;
        }

        if (Names.Dns1123LabelError(name) is not null)
        {
            return NotFound(project, domain, name);
        }

        var result = await change(Grain(grains, project, domain, name), request?.Reason);
        return result.Status switch
        {
            TransitionStatus.NotFound => Problems.NotFound(result.Message!),
            TransitionStatus.Refused => Problems.Conflict(result.Message!),
            TransitionStatus.Invalid => Problems.InvalidSpec(Errors(result.Errors ?? []), result.Message ?? "The request is not valid."),
            _ => TypedResults.Ok(Response(result.LaunchPlan!)),
        };
    }

    private static Results<Accepted<LaunchResponse>, ValidationProblem, ProblemHttpResult> Launched(string project, string domain, string name, LaunchResult result) =>
        result.Status switch
        {
            TransitionStatus.NotFound => Problems.NotFound(result.Message!),
            TransitionStatus.Refused => Problems.Conflict(result.Message!),
            TransitionStatus.Invalid => Problems.InvalidSpec(Errors(result.Errors), result.Message ?? "The request is not valid."),
            _ => TypedResults.Accepted(
                result.Executions.Count == 1 ? ExecutionResponses.Location(project, domain, result.Executions[0].ExecutionId) : (string?)null,
                new LaunchResponse(name, [.. result.Executions.Select(e =>
                    new LaunchedExecution(e.ExecutionId, e.ScheduledAt, e.Created, ExecutionResponses.Location(project, domain, e.ExecutionId)))])),
        };

    private static IEnumerable<SpecError> Errors(IEnumerable<LaunchError> errors) => errors.Select(e => new SpecError(e.Pointer, e.Message));

    private static ValidationProblem? ReasonError(string? reason) => reason is { Length: > MaxReason }
        ? Problems.InvalidSpec([new SpecError("/reason", $"the reason may be at most {MaxReason} characters")], "The request is not valid.")
        : null;

    private static ILaunchPlanGrain Grain(IClusterClient grains, string project, string domain, string name) =>
        grains.GetGrain<ILaunchPlanGrain>(DefinitionKey.Of(project, domain, name));

    private static async Task<LaunchPlanView?> View(IClusterClient grains, string project, string domain, string name) =>
        Names.Dns1123LabelError(name) is null ? await Grain(grains, project, domain, name).Get() : null;

    private static ProblemHttpResult NotFound(string project, string domain, string name) =>
        Problems.NotFound($"Launch plan '{name}' does not exist in {project}/{domain}.");

    private static string StateText(LaunchPlanStatus status) => status.ToString().ToLowerInvariant();

    private static LaunchPlanResponse Response(LaunchPlanView view) => new(
        view.Project, view.Domain, view.Name, view.ActiveVersion, view.Paused, view.ScheduledThrough, view.Buffered, view.Fired, view.Skipped, view.Missed,
        view.NextFires, [.. view.Versions.Select(VersionResponse)],
        [.. view.RecentFires.Select(f => new LaunchPlanFireResponse(f.Version, f.ScheduledAt, f.ExecutionId))],
        new LaunchPlanRunCounts(view.Fired, view.Triggered, view.Backfilled),
        [.. view.RecentRuns.Select(r => new LaunchPlanRunResponse(r.Kind.ToString().ToLowerInvariant(), r.Version, r.ExecutionId, r.At, r.ScheduledAt))]);

    private static LaunchPlanVersionResponse VersionResponse(LaunchPlanVersionView v) => new(
        v.Version, StateText(v.Status), v.Workflow, v.ContentHash, v.RegisteredAt, v.RegisteredBy, v.ChangedAt, v.ChangedBy, v.ChangeReason, JsonNode.Parse(v.Spec));
}
