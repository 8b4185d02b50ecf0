using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Abstractions.Submissions;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Grains.Hosting;

namespace Orleans.Flyte.Grains.Submissions;

/// <summary>
/// Submitting an execution, written once: resolve the workflow and its pinned tasks, compile the plan, bind and check
/// the inputs, check that some node could ever serve each GPU request, then create the execution (idempotent per id).
/// </summary>
/// <param name="artifacts">The artifact store that <c>file</c> and <c>directory</c> inputs must name bytes in; without one
/// (a host with no store) they are not checked.</param>
/// <param name="admission">Takes callers' submissions in fair turns (<see cref="SubmissionAdmission"/>); without one every
/// submission is worked on at once.</param>
public sealed partial class ExecutionSubmissions(
    IGrainFactory grains, ArtifactStore? artifacts = null, SubmissionAdmission? admission = null, Observability.EngineMetrics? metrics = null)
    : IExecutionSubmissions
{
    public const int MinPriority = -100;
    public const int MaxPriority = 100;

    private const string NotValid = "The submission is not valid.";
    private const string NoGpu = "The submission asks for GPUs no node has.";

    public Task<ResolvedWorkflow?> ResolveAsync(string project, string domain, TaskReference workflow) => ResolveAsync(project, domain, workflow, depth: 0);

    private async Task<ResolvedWorkflow?> ResolveAsync(string project, string domain, TaskReference workflow, int depth)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        var definition = Names.Dns1123LabelError(workflow.Name) is null && depth <= WorkflowInterface.MaxDepth
            ? await grains.GetGrain<IWorkflowDefinitionGrain>(DefinitionKey.Of(project, domain, workflow.Name)).GetVersion(workflow.Version)
            : null;
        if (definition is null)
        {
            return null;
        }

        var spec = StoredSpec.Workflow(definition.Spec);

        // The plan carries the exact spec of every pinned task version, so it never floats, whatever is registered later.
        var pinned = definition.PinnedTasks.Where(p => !ResolvedChild.IsChildPin(p.Key)).Select(p => p.Value).Distinct(StringComparer.Ordinal).ToList();
        var tasks = await Task.WhenAll(pinned.Select(async p =>
        {
            var reference = TaskReference.Parse(p);
            var view = await grains.GetGrain<ITaskDefinitionGrain>(DefinitionKey.Of(project, domain, reference.Name)).GetVersion(reference.Version);
            return (Pinned: p, Spec: view?.Spec ?? throw new InvalidOperationException($"Pinned task {p} of workflow {definition.Name}@{definition.Version} is missing."));
        }));
        var byPin = tasks.ToDictionary(t => t.Pinned, t => t.Spec, StringComparer.Ordinal);
        var children = await ResolveChildrenAsync(project, domain, spec, definition.PinnedTasks, depth);
        if (children.Count < spec.Nodes.Count(n => n.IsChild))
        {
            throw new InvalidOperationException($"A pinned sub-workflow or launch plan of workflow {definition.Name}@{definition.Version} is missing.");
        }

        var plan = ExecutionPlanCompiler.Compile(spec, definition.PinnedTasks, p => byPin[p], node => children[node].Plan);
        return new ResolvedWorkflow(definition.Name, definition.Version, definition.Spec, spec, plan,
            Interface(spec, definition.PinnedTasks, byPin, children));
    }

    public async Task<IReadOnlyList<SpecError>> CheckGpusAsync(ExecutionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var wanting = TaskNodes(plan, string.Empty)
            .Select(n => (Node: n, Gpu: StoredSpec.Task(n.TaskSpec).Resources.Gpu))
            .Where(n => n.Gpu is not null)
            .ToList();
        if (wanting.Count == 0)
        {
            return [];
        }

        var verdicts = await grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key)
            .Check([.. wanting.Select(n => new GpuShape(n.Gpu!.Profile, n.Gpu.DeviceClass, n.Gpu.Count))]);
        return [.. wanting.Zip(verdicts)
            .Where(v => v.Second is not null)
            .Select(v => new SpecError($"/workflow/nodes/{v.First.Node.Id}/resources/gpu", $"node '{v.First.Node.Id}' (task {v.First.Node.Task}): {v.Second}"))];
    }

    /// <remarks>
    /// Submissions from callers (a workflow run, a relaunch, a recovery) wait their turn in <see cref="SubmissionAdmission"/>,
    /// one queue per principal served round-robin. A launch plan's own runs (a scheduled fire, a trigger, a backfill) come
    /// from its grain one at a time and do not queue there: a schedule is never held behind a user's sweep, and the grain's
    /// turn is never spent waiting for one.
    /// </remarks>
    public async Task<SubmissionResult> SubmitAsync(SubmitExecution submission, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(submission);
        if (admission is null || submission.Source is SubmissionSource.FromLaunchPlan)
        {
            return await Submit(submission);
        }

        var admitted = await admission.EnterAsync(CallContext.Principal, cancellationToken);
        if (admitted.Refusal is { } refusal)
        {
            metrics?.SubmissionRefused();
            return new SubmissionResult.Busy(refusal.Message, refusal.RetryAfter);
        }

        using (admitted.Turn)
        {
            metrics?.SubmissionAdmitted(admitted.Waited);
            return await Submit(submission);
        }
    }

    private async Task<SubmissionResult> Submit(SubmitExecution submission)
    {
        var (project, domain) = (submission.Project, submission.Domain);
        var id = submission.ExecutionId
            ?? (submission.IdempotencyKey is { Length: > 0 } key ? ExecutionIds.FromIdempotencyKey(project, domain, key) : ExecutionIds.New());
        var prepared = submission.Source switch
        {
            SubmissionSource.FromWorkflow workflow => await FromWorkflow(submission, workflow),
            SubmissionSource.FromExecution rerun => await FromExecution(submission, rerun),
            SubmissionSource.FromLaunchPlan launch => new Prepared(new CreateExecution(project, domain, launch.Plan, launch.InputsJson, submission.IdempotencyKey,
                false, null, null, NoOutputs, launch.LaunchPlan, launch.ScheduledAt?.ToUniversalTime()), CheckGpus: false),
            _ => throw new ArgumentOutOfRangeException(nameof(submission), submission.Source, "Unknown submission source."),
        };
        if (prepared.Refusal is { } refusal)
        {
            return refusal;
        }

        var command = prepared.Command!;

        // A task asking for GPUs no node has would wait forever: refuse it now, saying what the cluster has.
        if (prepared.CheckGpus && await CheckGpusAsync(command.Plan) is { Count: > 0 } gpuErrors)
        {
            return new SubmissionResult.Invalid(NoGpu, gpuErrors);
        }

        // A freshly made-up id names an execution nobody has stored: its grain need not read a stream first (NewStreams;
        // Create's write is conditional, so the hint can never make it write over one). Ids derived from an
        // idempotency key or given by the caller may already exist.
        var grain = grains.Get<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(project, domain, id));
        var outcome = submission.ExecutionId is null && submission.IdempotencyKey is not { Length: > 0 }
            ? await NewStreams.Call(grain, g => g.Create(command))
            : await grain.Create(command);
        return outcome.Status == CreateStatus.Conflict
            ? new SubmissionResult.Conflict(id,
                $"The Idempotency-Key was already used for a different submission (execution {id}). Use a new key for a new submission.")
            : new SubmissionResult.Accepted(outcome.Execution, outcome.Status == CreateStatus.Created);
    }

    private async Task<Prepared> FromWorkflow(SubmitExecution submission, SubmissionSource.FromWorkflow source)
    {
        var (project, domain) = (submission.Project, submission.Domain);
        if (string.IsNullOrWhiteSpace(source.Workflow))
        {
            return Invalid("/workflow", "name the workflow to run, e.g. \"train-alpha@v3\" (or \"train-alpha\" for its latest version)");
        }

        var resolved = await ResolveAsync(project, domain, TaskReference.Parse(source.Workflow));
        if (resolved is null)
        {
            return Invalid("/workflow", $"workflow '{source.Workflow}' is not registered in {project}/{domain}");
        }

        if (source.Priority is < MinPriority or > MaxPriority)
        {
            return Invalid("/priority", $"priority must be between {MinPriority} and {MaxPriority}, not {source.Priority}");
        }

        var inputs = ExecutionInputs.Bind(resolved.Workflow, source.Inputs);
        if (!inputs.IsValid)
        {
            return new Prepared(null, false, new SubmissionResult.Invalid(NotValid, inputs.Errors));
        }

        if (MissingArtifacts(resolved.Workflow, inputs.Value!) is { Count: > 0 } missing)
        {
            return new Prepared(null, false, new SubmissionResult.Invalid(NotValid, missing));
        }

        return new Prepared(new CreateExecution(project, domain, resolved.Plan, inputs.Value!.ToJsonString(), submission.IdempotencyKey,
            source.OverwriteCache, null, null, NoOutputs, null, null, source.Priority ?? 0), CheckGpus: true);
    }

    private async Task<Prepared> FromExecution(SubmitExecution submission, SubmissionSource.FromExecution source)
    {
        var (project, domain) = (submission.Project, submission.Domain);
        var grain = grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(project, domain, source.ExecutionId));
        var stored = await grain.GetSubmission();
        if (stored is null)
        {
            return new Prepared(null, false, new SubmissionResult.NotFound($"Execution '{source.ExecutionId}' does not exist in {project}/{domain}."));
        }

        var recovered = new Dictionary<string, string>(StringComparer.Ordinal);
        if (source.Recover)
        {
            var view = (await grain.Get())!;
            if (!view.Phase.IsTerminal())
            {
                return new Prepared(null, false, new SubmissionResult.Conflict(source.ExecutionId,
                    $"Execution {source.ExecutionId} is still {view.Phase}; recover it once it has ended (or abort it first)."));
            }

            await CollectRecovered(project, domain, view, string.Empty, recovered, depth: 0);
        }

        return new Prepared(new CreateExecution(project, domain, stored.Plan, stored.InputsJson, submission.IdempotencyKey, stored.OverwriteCache,
            source.Recover ? null : source.ExecutionId, source.Recover ? source.ExecutionId : null, recovered, null, null, stored.Priority), CheckGpus: true);
    }

    /// <summary>The <c>file</c> and <c>directory</c> inputs (also in lists) whose bytes are not in the store: a 400 that
    /// names each, instead of a run whose task fails at launch. Those that are there are touched, so the collector keeps
    /// them through its grace period, by which time the accepted execution's events refer to them.</summary>
    private List<SpecError> MissingArtifacts(WorkflowSpec workflow, System.Text.Json.Nodes.JsonObject inputs)
    {
        var errors = new List<SpecError>();
        if (artifacts is null)
        {
            return errors;
        }

        foreach (var (name, parameter) in workflow.Inputs.Where(p => p.Value.Type.CarriesArtifacts))
        {
            var pointer = JsonPointer.Append("/inputs", name);
            var values = inputs[name] switch
            {
                null => [],
                System.Text.Json.Nodes.JsonArray list when parameter.Type.IsArtifactList => list.Select((v, i) => (Pointer: $"{pointer}/{i}", Value: v)).ToList(),
                var single => [(Pointer: pointer, Value: single)],
            };
            foreach (var (where, value) in values)
            {
                if (ArtifactReference.TryRead(value, out var reference) && !artifacts.Touch(reference))
                {
                    errors.Add(new SpecError(where, $"input '{name}': {reference.Uri} is not in the artifact store; upload the file first (POST …/artifacts) and pass the reference it returns"));
                }
            }
        }

        return errors;
    }

    private static Prepared Invalid(string pointer, string message) =>
        new(null, false, new SubmissionResult.Invalid(NotValid, [new SpecError(pointer, message)]));

    private static readonly IReadOnlyDictionary<string, string> NoOutputs = new Dictionary<string, string>();

    /// <summary>The command to create, whether its GPUs still need checking, or why there is nothing to create.</summary>
    private sealed record Prepared(CreateExecution? Command, bool CheckGpus, SubmissionResult? Refusal = null);
}
