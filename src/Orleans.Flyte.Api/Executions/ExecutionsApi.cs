using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.Submissions;
using Orleans.Flyte.Api.Auth;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Domain.Identity;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Executions;

/// <summary>What the execution endpoints need, bound with <c>[AsParameters]</c>.</summary>
public readonly record struct ExecutionServices(IClusterClient Grains, IExecutionSubmissions Submissions);

/// <summary>Submitting, watching, stopping and re-running workflow executions.</summary>
public static class ExecutionsApi
{
    public const string IdempotencyHeader = IdempotencyKey.Header;
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 500;
    private const int MaxReason = 1000;

    public static IEndpointRouteBuilder MapExecutionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapDomainGroup("/executions").WithTags("Executions").Requires(Permission.Read);
        group.MapPost("/", CreateExecution).WithName(nameof(CreateExecution)).Requires(Permission.Submit).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Submit a workflow execution. Returns 202 with the id once the submission is durable; an Idempotency-Key makes retries safe.");
        group.MapGet("/", ListExecutions).WithName(nameof(ListExecutions))
            .WithSummary("List executions, newest first, filtered by workflow, phase, launch plan (name or name@version), scheduled instant and creation time; cursor paging.");
        group.MapGet("/{id}", GetExecution).WithName(nameof(GetExecution)).WithSummary("An execution with its nodes, attempts, outputs and errors; with ?asOf=<instant>, as it stood then (replayed from the stored events).");
        group.MapPost("/{id}/abort", AbortExecution).WithName(nameof(AbortExecution)).Requires(Permission.Submit).ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Abort: stops every running node and kills its process.");
        group.MapPost("/{id}/relaunch", RelaunchExecution).WithName(nameof(RelaunchExecution)).Requires(Permission.Submit).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("A new execution with the same inputs and the same pinned versions.");
        group.MapPost("/{id}/recover", RecoverExecution).WithName(nameof(RecoverExecution)).Requires(Permission.Submit).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("A new execution that reuses the outputs of the nodes that succeeded.");
        group.MapGet("/{id}/events", GetTimeline).WithName("GetExecutionEvents").WithSummary("Every event of the execution and its nodes, in order.");
        group.MapGet("/{id}/audit", GetExecutionAudit).WithName(nameof(GetExecutionAudit))
            .WithSummary("The run's whole account from the stored events: who asked for it, pinned versions with spec hashes, inputs, outputs, attempts with GPUs, aborts, cache hits, and the chain status of every stream read.");
        group.MapGet("/{id}/nodes/{node}/attempts/{attempt:int}/logs", GetLogs).WithName("GetAttemptLogs").WithSummary("Captured stdout and stderr of one attempt.");
        return routes;
    }

    public static async Task<Results<Accepted<ExecutionResponse>, ValidationProblem, ProblemHttpResult>> CreateExecution(
        string project, string domain, CreateExecutionRequest request, HttpRequest http, [AsParameters] ExecutionServices services)
    {
        if (IdempotencyKey.Read(http, out var key) is { } badKey)
        {
            return badKey;
        }

        var source = new SubmissionSource.FromWorkflow(request.Workflow, request.Inputs, request.OverwriteCache, request.Priority);
        return await Submitted(await services.Submissions.SubmitAsync(new SubmitExecution(project, domain, source) { IdempotencyKey = key }, RequestDeadlineFilter.Deadline(http.HttpContext)), services.Grains, http.HttpContext.Response);
    }

    public static Task<Results<Accepted<ExecutionResponse>, ValidationProblem, ProblemHttpResult>> RelaunchExecution(
        string project, string domain, string id, HttpRequest http, [AsParameters] ExecutionServices services) =>
        Rerun(project, domain, id, http, services, recover: false);

    public static Task<Results<Accepted<ExecutionResponse>, ValidationProblem, ProblemHttpResult>> RecoverExecution(
        string project, string domain, string id, HttpRequest http, [AsParameters] ExecutionServices services) =>
        Rerun(project, domain, id, http, services, recover: true);

    public static async Task<Results<Ok<ExecutionList>, ValidationProblem>> ListExecutions(
        string project,
        string domain,
        IExecutionCatalog catalog,
        string? workflow,
        string? phase,
        string? launchPlan,
        DateTimeOffset? scheduledAt,
        DateTimeOffset? createdAfter,
        DateTimeOffset? createdBefore,
        int? limit,
        string? cursor,
        string? parent,
        CancellationToken cancellationToken)
    {
        var errors = new List<SpecError>();
        WorkflowPhase? phaseFilter = null;
        if (phase is not null)
        {
            if (Enum.TryParse<WorkflowPhase>(phase, ignoreCase: true, out var parsed) && !int.TryParse(phase, out _))
            {
                phaseFilter = parsed;
            }
            else
            {
                errors.Add(new SpecError("phase", $"'{phase}' is not a phase; phases are {string.Join(", ", Enum.GetNames<WorkflowPhase>())}"));
            }
        }

        var size = limit ?? DefaultPageSize;
        if (size is < 1 or > MaxPageSize)
        {
            errors.Add(new SpecError("limit", $"limit must be between 1 and {MaxPageSize}"));
        }

        ExecutionCursor? after = null;
        if (cursor is not null && !ExecutionCursor.TryParse(cursor, out after))
        {
            errors.Add(new SpecError("cursor", "the cursor is not one this API returned; start without it"));
        }

        if (errors.Count > 0)
        {
            return Problems.InvalidSpec(errors, "The query is not valid.");
        }

        var page = await catalog.ListAsync(
            new ExecutionQuery(project, domain, size, workflow, phaseFilter, launchPlan, scheduledAt, createdAfter, createdBefore, after, parent), cancellationToken);
        var items = page.Items.Select(e => new ExecutionSummary(
            e.Id, e.Workflow, e.WorkflowVersion, e.Phase.ToString(), e.CreatedAt, e.CreatedBy, e.StartedAt, e.FinishedAt, e.Error, e.LaunchPlan, e.ScheduledAt,
            e.ParentExecutionId is { } parentId ? new ExecutionParentResponse(parentId, e.ParentNode!) : null)).ToList();
        return TypedResults.Ok(new ExecutionList(items, page.Next?.Encode()));
    }

    /// <param name="asOf">Answer as the execution stood at this instant: its stored events up to then, folded with the
    /// grains' own state code (audit replay). The live answer's GPU waiting reason is the allocator's and is not replayed.</param>
    public static async Task<Results<Ok<ExecutionResponse>, ProblemHttpResult>> GetExecution(
        string project, string domain, string id, DateTimeOffset? asOf, IClusterClient grains, IAuditLog audit, CancellationToken cancellationToken)
    {
        if (asOf is { } instant)
        {
            return ExecutionIds.IsValid(id) && await audit.ExecutionAsOfAsync(project, domain, id, instant, cancellationToken) is { } past
                ? TypedResults.Ok(ExecutionResponses.Of(past.Execution, past.Tasks, past.Elements))
                : Problems.NotFound($"Execution '{id}' did not exist in {project}/{domain} at {instant:O}.");
        }

        return await Grain(grains, project, domain, id).Get() is { } view
            ? TypedResults.Ok(await ExecutionResponses.Of(view, grains))
            : NotFound(project, domain, id);
    }

    public static async Task<Results<Ok<ExecutionResponse>, ValidationProblem, ProblemHttpResult>> AbortExecution(
        string project, string domain, string id, [FromBody] AbortExecutionRequest? request, IClusterClient grains)
    {
        var grain = Grain(grains, project, domain, id);
        if (await grain.Get() is not { } view)
        {
            return NotFound(project, domain, id);
        }

        if (view.Phase.IsTerminal())
        {
            return Problems.Conflict(
                $"Execution '{id}' already finished ({view.Phase}); there is nothing to abort. To run it again, POST .../executions/{id}/relaunch " +
                "(same inputs and versions) or .../recover (reuses the outputs of the nodes that succeeded).",
                new Dictionary<string, object?> { ["phase"] = view.Phase.ToString() });
        }

        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "aborted by request" : request.Reason;
        if (reason.Length > MaxReason)
        {
            return Problems.InvalidSpec([new SpecError("/reason", $"the reason may be at most {MaxReason} characters")], "The request is not valid.");
        }

        return TypedResults.Ok(await ExecutionResponses.Of(await grain.Abort(reason), grains));
    }

    public static async Task<Results<Ok<ExecutionTimeline>, ProblemHttpResult>> GetTimeline(
        string project, string domain, string id, IExecutionCatalog catalog, CancellationToken cancellationToken)
    {
        var events = ExecutionIds.IsValid(id) ? await catalog.GetTimelineAsync(project, domain, id, cancellationToken) : [];
        return events.Count == 0
            ? NotFound(project, domain, id)
            : TypedResults.Ok(new ExecutionTimeline(id, [.. events.Select(e =>
                new TimelineEvent(e.Sequence, e.Stream, e.Version, e.Type, e.At, e.Principal, e.CorrelationId, e.Reason, e.Data, e.Hash, e.PreviousHash))]));
    }

    public static async Task<Results<Ok<RunReport>, ProblemHttpResult>> GetExecutionAudit(
        string project, string domain, string id, IAuditLog audit, CancellationToken cancellationToken) =>
        ExecutionIds.IsValid(id) && await audit.RunReportAsync(project, domain, id, cancellationToken) is { } report
            ? TypedResults.Ok(report)
            : NotFound(project, domain, id);

    public static async Task<Results<Ok<AttemptLogsResponse>, ProblemHttpResult>> GetLogs(
        string project, string domain, string id, string node, int attempt, IClusterClient grains)
    {
        // A map element is node[i]; its node id is a DNS label like any other.
        var nodeId = MapElements.TryParse(node, out var mapped, out _) ? mapped : node;
        if (!ExecutionIds.IsValid(id) || Names.Dns1123LabelError(nodeId) is not null)
        {
            return NotFound(project, domain, id);
        }

        var logs = await grains.GetGrain<ITaskExecutionGrain>(ExecutionKeys.Task(project, domain, id, node)).GetLogs(attempt);
        return logs is null
            ? Problems.NotFound($"No logs for attempt {attempt} of node '{node}' in execution {id}: the attempt does not exist, or ran on a silo whose work directory is gone.")
            : TypedResults.Ok(new AttemptLogsResponse(logs.AttemptId, logs.Stdout, logs.Stderr, logs.Truncated));
    }

    private static async Task<Results<Accepted<ExecutionResponse>, ValidationProblem, ProblemHttpResult>> Rerun(
        string project, string domain, string id, HttpRequest http, ExecutionServices services, bool recover)
    {
        if (IdempotencyKey.Read(http, out var key) is { } badKey)
        {
            return badKey;
        }

        var source = new SubmissionSource.FromExecution(id, recover);
        return await Submitted(await services.Submissions.SubmitAsync(new SubmitExecution(project, domain, source) { IdempotencyKey = key }, RequestDeadlineFilter.Deadline(http.HttpContext)), services.Grains, http.HttpContext.Response);
    }

    private static async Task<Results<Accepted<ExecutionResponse>, ValidationProblem, ProblemHttpResult>> Submitted(SubmissionResult result, IClusterClient grains, HttpResponse response) =>
        result switch
        {
            SubmissionResult.Accepted accepted => TypedResults.Accepted(
                ExecutionResponses.Location(accepted.Execution.Project, accepted.Execution.Domain, accepted.Execution.ExecutionId),
                await ExecutionResponses.Of(accepted.Execution, grains, withAttempts: false)),
            SubmissionResult.Invalid invalid => Problems.InvalidSpec(invalid.Errors, invalid.Title),
            SubmissionResult.NotFound notFound => Problems.NotFound(notFound.Message),
            SubmissionResult.Conflict conflict => Problems.Conflict(conflict.Message),
            SubmissionResult.Busy busy => Problems.TooManyRequests(response,
                $"{busy.Message} Nothing was stored: send the same submission again (with its Idempotency-Key, if it has one) once some have been taken on.",
                busy.RetryAfter),
            _ => throw new InvalidOperationException($"Unknown submission result {result}."),
        };

    private static IWorkflowExecutionGrain Grain(IClusterClient grains, string project, string domain, string id) =>
        grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(project, domain, id));

    private static ProblemHttpResult NotFound(string project, string domain, string id) =>
        Problems.NotFound($"Execution '{id}' does not exist in {project}/{domain}.");
}
