using Microsoft.Extensions.Logging;
using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Abstractions.Submissions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Grains.LaunchPlans;

/// <summary>
/// The only code in the grain that builds and submits executions, through the one submission use case
/// (<see cref="IExecutionSubmissions"/>): a scheduled fire, a backfilled instant and a trigger all end in
/// <see cref="SubmitRun"/>, and trigger, backfill and activation refuse a version whose GPUs no node has
/// (<see cref="UnservableGpus"/>).
/// </summary>
public sealed partial class LaunchPlanGrain
{
    /// <summary>Submits (idempotently per id) the execution of one launch of <paramref name="version"/>.</summary>
    /// <param name="scheduledAt">The scheduled instant; null for a manual trigger.</param>
    private Task<SubmissionResult> SubmitRun(LaunchPlanVersionState version, string id, string inputsJson, DateTimeOffset? scheduledAt) =>
        submissions.SubmitAsync(new SubmitExecution(Key.Project, Key.Domain,
            new SubmissionSource.FromLaunchPlan($"{Key.Name}@{version.Version}", version.Plan, inputsJson, scheduledAt)) { ExecutionId = id });

    /// <summary>Creates (idempotently) the execution of one scheduled instant. A failure leaves the fire recorded; the next
    /// wake-up re-creates it (<see cref="RecoverFires"/>).</summary>
    private async Task<bool> CreateScheduled(LaunchPlanVersionState version, DateTimeOffset instant, string id)
    {
        var (plan, workflow) = Parsed(version);
        var inputs = LaunchPlanInputs.Compose(plan, workflow, null, instant);
        if (!inputs.IsValid)
        {
            // Registration checked this; a stored version that cannot compose its inputs is a bug, not a retryable fault.
            log.LogError("Launch plan {LaunchPlan}@{Version} cannot compose inputs for {Instant}: {Errors}", this.GetPrimaryKeyString(), version.Version, instant,
                string.Join("; ", inputs.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
            return false;
        }

        try
        {
            return await SubmitRun(version, id, inputs.Value!.ToJsonString(), instant) switch
            {
                SubmissionResult.Accepted accepted => accepted.Created,
                SubmissionResult.Conflict => false,
                var other => throw new InvalidOperationException($"The run {id} of {this.GetPrimaryKeyString()}@{version.Version} was answered {other}."),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _recovered = false;
            log.LogWarning(ex, "Launch plan {LaunchPlan} fired {Instant} but could not create execution {Execution} yet; it is retried", this.GetPrimaryKeyString(), instant, id);
            return false;
        }
    }

    /// <summary>
    /// One error per node of <paramref name="version"/>'s plan whose GPU request no node could ever serve. Trigger, backfill
    /// and activation refuse such a version before anything is recorded; the plan is the same for every run of the version,
    /// so it is checked once per call. A scheduled fire is not checked again (it was decided already): its run waits, saying why.
    /// </summary>
    private Task<IReadOnlyList<SpecError>> UnservableGpus(LaunchPlanVersionState version) => submissions.CheckGpusAsync(version.Plan);

    private static LaunchResult NoGpuFor(IReadOnlyList<SpecError> errors) =>
        new(TransitionStatus.Invalid, LaunchPlanTransitions.UnservableGpusMessage, [.. errors.Select(e => new LaunchError(e.Pointer, e.Message))], []);

    private string ScheduledExecutionId(string version, DateTimeOffset instant) =>
        ScheduledExecutionIds.For(Key.Project, Key.Domain, Key.Name, version, instant);
}
