using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Api.Registry;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Executions;

/// <summary>Submitting, watching, stopping and re-running workflow executions.</summary>
public static class ExecutionsApi
{
    public const string IdempotencyHeader = "Idempotency-Key";
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 500;
    private const int MinPriority = -100;
    private const int MaxPriority = 100;

    public static IEndpointRouteBuilder MapExecutionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/projects/{project}/domains/{domain}/executions").WithTags("Executions");
        group.MapPost("/", CreateExecution).WithName(nameof(CreateExecution))
            .WithSummary("Submit a workflow execution. Returns 202 with the id once the submission is durable; an Idempotency-Key makes retries safe.");
        group.MapGet("/", ListExecutions).WithName(nameof(ListExecutions))
            .WithSummary("List executions, newest first, filtered by workflow, phase, launch plan (name or name@version), scheduled instant and creation time; cursor paging.");
        group.MapGet("/{id}", GetExecution).WithName(nameof(GetExecution)).WithSummary("An execution with its nodes, attempts, outputs and errors.");
        group.MapPost("/{id}/abort", AbortExecution).WithName(nameof(AbortExecution)).WithSummary("Abort: stops every running node and kills its process.");
        group.MapPost("/{id}/relaunch", RelaunchExecution).WithName(nameof(RelaunchExecution)).WithSummary("A new execution with the same inputs and the same pinned versions.");
        group.MapPost("/{id}/recover", RecoverExecution).WithName(nameof(RecoverExecution)).WithSummary("A new execution that reuses the outputs of the nodes that succeeded.");
        group.MapGet("/{id}/events", GetTimeline).WithName("GetExecutionEvents").WithSummary("Every event of the execution and its nodes, in order.");
        group.MapGet("/{id}/nodes/{node}/attempts/{attempt:int}/logs", GetLogs).WithName("GetAttemptLogs").WithSummary("Captured stdout and stderr of one attempt.");
        return routes;
    }

    public static async Task<IResult> CreateExecution(
        string project, string domain, CreateExecutionRequest request, HttpRequest http, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var idempotencyKey = http.Headers[IdempotencyHeader].ToString();
        if (idempotencyKey.Length > 200)
        {
            return Problems.BadRequest($"The {IdempotencyHeader} header may be at most 200 characters.");
        }

        if (string.IsNullOrWhiteSpace(request.Workflow))
        {
            return Problems.InvalidSpec([new SpecError("/workflow", "name the workflow to run, e.g. \"train-alpha@v3\" (or \"train-alpha\" for its latest version)")], "The submission is not valid.");
        }

        var reference = TaskReference.Parse(request.Workflow);
        var definition = Names.Dns1123LabelError(reference.Name) is null
            ? await services.Grains.GetGrain<IWorkflowDefinitionGrain>(DefinitionKey.Of(project, domain, reference.Name)).GetVersion(reference.Version)
            : null;
        if (definition is null)
        {
            return Problems.InvalidSpec([new SpecError("/workflow", $"workflow '{request.Workflow}' is not registered in {project}/{domain}")], "The submission is not valid.");
        }

        if (request.Priority is < MinPriority or > MaxPriority)
        {
            return Problems.InvalidSpec([new SpecError("/priority", $"priority must be between {MinPriority} and {MaxPriority}, not {request.Priority}")], "The submission is not valid.");
        }

        var workflow = StoredSpec.Workflow(definition.Spec);
        var inputs = ExecutionInputs.Bind(workflow, request.Inputs);
        if (!inputs.IsValid)
        {
            return Problems.InvalidSpec(inputs.Errors, "The submission is not valid.");
        }

        var pinned = definition.PinnedTasks.Values.Distinct(StringComparer.Ordinal).ToList();
        var specs = await Task.WhenAll(pinned.Select(async p =>
        {
            var r = TaskReference.Parse(p);
            var view = await services.Grains.GetGrain<ITaskDefinitionGrain>(DefinitionKey.Of(project, domain, r.Name)).GetVersion(r.Version);
            return (Pinned: p, Spec: view?.Spec ?? throw new InvalidOperationException($"Pinned task {p} of workflow {definition.Name}@{definition.Version} is missing."));
        }));
        var bySpec = specs.ToDictionary(s => s.Pinned, s => s.Spec, StringComparer.Ordinal);
        var plan = ExecutionPlanCompiler.Compile(workflow, definition.PinnedTasks, p => bySpec[p]);
        var id = idempotencyKey.Length > 0 ? ExecutionIds.FromIdempotencyKey(project, domain, idempotencyKey) : ExecutionIds.New();
        var command = new CreateExecution(project, domain, plan, inputs.Value!.ToJsonString(), idempotencyKey.Length > 0 ? idempotencyKey : null,
            request.OverwriteCache, null, null, new Dictionary<string, string>(), null, null, request.Priority ?? 0);
        return await Submit(project, domain, id, command, services.Grains);
    }

    public static async Task<IResult> ListExecutions(
        string project,
        string domain,
        [AsParameters] RegistryServices services,
        IExecutionCatalog catalog,
        string? workflow,
        string? phase,
        string? launchPlan,
        DateTimeOffset? scheduledAt,
        DateTimeOffset? createdAfter,
        DateTimeOffset? createdBefore,
        int? limit,
        string? cursor,
        CancellationToken cancellationToken)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

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
            new ExecutionQuery(project, domain, size, workflow, phaseFilter, launchPlan, scheduledAt, createdAfter, createdBefore, after), cancellationToken);
        var items = page.Items.Select(e => new ExecutionSummary(
            e.Id, e.Workflow, e.WorkflowVersion, e.Phase.ToString(), e.CreatedAt, e.CreatedBy, e.StartedAt, e.FinishedAt, e.Error, e.LaunchPlan, e.ScheduledAt)).ToList();
        return TypedResults.Ok(new ExecutionList(items, page.Next?.Encode()));
    }

    public static async Task<IResult> GetExecution(string project, string domain, string id, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var view = await Grain(services.Grains, project, domain, id).Get();
        return view is null ? NotFound(project, domain, id) : TypedResults.Ok(await Response(view, services.Grains));
    }

    public static async Task<IResult> AbortExecution(
        string project, string domain, string id, [FromBody] AbortExecutionRequest? request, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var grain = Grain(services.Grains, project, domain, id);
        if (await grain.Get() is null)
        {
            return NotFound(project, domain, id);
        }

        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "aborted by request" : request.Reason!;
        if (reason.Length > 1000)
        {
            return Problems.InvalidSpec([new SpecError("/reason", "the reason may be at most 1000 characters")], "The request is not valid.");
        }

        return TypedResults.Ok(await Response(await grain.Abort(reason), services.Grains));
    }

    public static Task<IResult> RelaunchExecution(string project, string domain, string id, HttpRequest http, [AsParameters] RegistryServices services) =>
        Rerun(project, domain, id, http, services, recover: false);

    public static Task<IResult> RecoverExecution(string project, string domain, string id, HttpRequest http, [AsParameters] RegistryServices services) =>
        Rerun(project, domain, id, http, services, recover: true);

    public static async Task<IResult> GetTimeline(
        string project, string domain, string id, [AsParameters] RegistryServices services, IExecutionCatalog catalog, CancellationToken cancellationToken)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        if (!ExecutionIds.IsValid(id))
        {
            return NotFound(project, domain, id);
        }

        var events = await catalog.GetTimelineAsync(project, domain, id, cancellationToken);
        if (events.Count == 0)
        {
            return NotFound(project, domain, id);
        }

        return TypedResults.Ok(new ExecutionTimeline(id, [.. events.Select(e =>
            new TimelineEvent(e.Sequence, e.Stream, e.Version, e.Type, e.At, e.Principal, e.CorrelationId, e.Reason, e.Data))]));
    }

    public static async Task<IResult> GetLogs(string project, string domain, string id, string node, int attempt, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        if (!ExecutionIds.IsValid(id) || Names.Dns1123LabelError(node) is not null)
        {
            return NotFound(project, domain, id);
        }

        var logs = await services.Grains.GetGrain<ITaskExecutionGrain>(ExecutionKeys.Task(project, domain, id, node)).GetLogs(attempt);
        return logs is null
            ? Problems.NotFound($"No logs for attempt {attempt} of node '{node}' in execution {id}: the attempt does not exist, or ran on a silo whose work directory is gone.")
            : TypedResults.Ok(new AttemptLogsResponse(logs.AttemptId, logs.Stdout, logs.Stderr, logs.Truncated));
    }

    private static async Task<IResult> Rerun(string project, string domain, string id, HttpRequest http, RegistryServices services, bool recover)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var source = Grain(services.Grains, project, domain, id);
        var submission = await source.GetSubmission();
        if (submission is null)
        {
            return NotFound(project, domain, id);
        }

        var recovered = new Dictionary<string, string>(StringComparer.Ordinal);
        if (recover)
        {
            var view = (await source.Get())!;
            if (!view.Phase.IsTerminal())
            {
                return Problems.Conflict($"Execution {id} is still {view.Phase}; recover it once it has ended (or abort it first).");
            }

            foreach (var node in view.Nodes.Where(n => n.Phase == TaskPhase.Succeeded && n.OutputsJson is not null))
            {
                recovered[node.NodeId] = node.OutputsJson!;
            }
        }

        var key = http.Headers[IdempotencyHeader].ToString();
        var newId = key.Length > 0 ? ExecutionIds.FromIdempotencyKey(project, domain, key) : ExecutionIds.New();
        var command = new CreateExecution(project, domain, submission.Plan, submission.InputsJson, key.Length > 0 ? key : null,
            submission.OverwriteCache, recover ? null : id, recover ? id : null, recovered, null, null, submission.Priority);
        return await Submit(project, domain, newId, command, services.Grains);
    }

    private static async Task<IResult> Submit(string project, string domain, string id, CreateExecution command, IClusterClient grains)
    {
        // A task asking for GPUs no node has would wait forever: refuse it now, saying what the cluster has.
        if (await Gpus.GpusApi.UnsatisfiableGpuRequests(command.Plan, grains) is { Count: > 0 } gpuErrors)
        {
            return Problems.InvalidSpec(gpuErrors, "The submission asks for GPUs no node has.");
        }

        var outcome = await Grain(grains, project, domain, id).Create(command);
        var location = $"/api/v1/projects/{project}/domains/{domain}/executions/{id}";
        return outcome.Status switch
        {
            CreateStatus.Conflict => Problems.Conflict(
                $"The {IdempotencyHeader} was already used for a different submission (execution {id}). Use a new key for a new submission."),
            _ => TypedResults.Accepted(location, await Response(outcome.Execution, grains, withAttempts: false)),
        };
    }

    private static IWorkflowExecutionGrain Grain(IClusterClient grains, string project, string domain, string id) =>
        grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(project, domain, id));

    private static ProblemHttpResult NotFound(string project, string domain, string id) =>
        Problems.NotFound($"Execution '{id}' does not exist in {project}/{domain}.");

    private static async Task<ExecutionResponse> Response(ExecutionView view, IClusterClient grains, bool withAttempts = true)
    {
        var tasks = withAttempts
            ? await Task.WhenAll(view.Nodes.Select(async n => n.Phase is TaskPhase.NotReady or TaskPhase.Skipped || n.CacheHit || n.RecoveredFrom is not null
                ? null
                : await grains.GetGrain<ITaskExecutionGrain>(ExecutionKeys.Task(view.Project, view.Domain, view.ExecutionId, n.NodeId)).Get()))
            : new TaskExecutionView?[view.Nodes.Count];
        return new ExecutionResponse(
            view.ExecutionId, view.Project, view.Domain, view.Workflow, view.Phase.ToString(), Parse(view.InputsJson), Parse(view.OutputsJson), view.Error,
            view.CreatedAt, view.CreatedBy, view.StartedAt, view.FinishedAt, view.RelaunchOf, view.RecoverOf, view.LaunchPlan, view.ScheduledAt,
            [.. view.Nodes.Select((n, i) => new NodeResponse(
                n.NodeId, n.Task, NodePhase(n, tasks[i]).ToString(), Parse(n.InputsJson), Parse(n.OutputsJson), n.Error, n.CacheHit, n.RecoveredFrom, n.ReadyAt, n.FinishedAt,
                [.. (tasks[i]?.Attempts ?? []).Select(a => new AttemptResponse(a.Attempt, a.AttemptId, a.Outcome, a.LaunchedAt, a.StartedAt, a.FinishedAt, a.Error, a.ExitCode,
                    a.Gpu is { IsEmpty: false } g ? new GpuGrantResponse(g.Node!, g.DeviceIds, g.ResourceName!) : null))],
                tasks[i]?.Waiting is { } w ? new WaitingResponse(w.Code, w.Message, w.Position, tasks[i]!.WaitingSince) : null))]);
    }

    /// <summary>The task's own phase is the more precise one while the workflow still sees the node as running
    /// (e.g. WaitingForResources); once the workflow has decided, its phase stands.</summary>
    private static TaskPhase NodePhase(NodeView node, TaskExecutionView? task) =>
        task is not null && !node.Phase.IsTerminal() && !task.Phase.IsTerminal() ? task.Phase : node.Phase;

    private static JsonNode? Parse(string? json) => json is null ? null : JsonNode.Parse(json);
}
