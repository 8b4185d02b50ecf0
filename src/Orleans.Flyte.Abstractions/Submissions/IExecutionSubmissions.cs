using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Abstractions.Submissions;

/// <summary>
/// The one way executions come into being (issue 10): the executions API (submit, relaunch, recover), launch plan
/// registration (which compiles its pinned plan here) and the launch plan grain (trigger, backfill, scheduled fires) all
/// go through it, so resolving a workflow, compiling its plan, binding inputs and the GPU-feasibility check are written
/// once. It is a service of the engine that talks to grains, not a grain itself: it keeps no state, and callers in the
/// silo process (the API beside it, the launch plan grain) take it from dependency injection.
/// </summary>
public interface IExecutionSubmissions
{
    /// <summary>
    /// The workflow version <paramref name="workflow"/> names (the latest when it has no version) with the exact spec of
    /// every task version it pinned, compiled into the plan an execution runs; null when it is not registered in the
    /// project/domain.
    /// </summary>
    Task<ResolvedWorkflow?> ResolveAsync(string project, string domain, TaskReference workflow);

    /// <summary>
    /// What each sub-workflow and launch-plan node of <paramref name="workflow"/> runs, by node id; a node whose reference
    /// names nothing registered is missing from the answer. With <paramref name="pins"/> (a registered version's) each
    /// reference resolves to its pin; without (a registration) a workflow reference without version is its latest
    /// version, and a launch plan reference without version is its active version (else its latest not archived).
    /// </summary>
    Task<IReadOnlyDictionary<string, ResolvedChild>> ResolveChildrenAsync(
        string project, string domain, WorkflowSpec workflow, IReadOnlyDictionary<string, string>? pins);

    /// <summary>
    /// One error per task node whose GPU request no node could ever serve, keyed by
    /// <c>/workflow/nodes/{node}/resources/gpu</c> and saying what the inventory has; empty when every request can be met
    /// some day (a full cluster is no reason to refuse: the run waits its turn).
    /// </summary>
    Task<IReadOnlyList<SpecError>> CheckGpusAsync(ExecutionPlan plan);

    /// <summary>
    /// Creates the execution <paramref name="submission"/> describes, or says why not. Nothing is stored unless the
    /// result is <see cref="SubmissionResult.Accepted"/>; creating is idempotent per execution id, so a retry with the
    /// same id and content finds the execution the first call created.
    /// </summary>
    /// <param name="cancellationToken">Ends a wait for the submission's turn (the request's deadline, its client gone): a
    /// submission still waiting then is never created, and the call throws <see cref="OperationCanceledException"/>. Once
    /// its turn has come the submission runs to its end.</param>
    Task<SubmissionResult> SubmitAsync(SubmitExecution submission, CancellationToken cancellationToken = default);
}
