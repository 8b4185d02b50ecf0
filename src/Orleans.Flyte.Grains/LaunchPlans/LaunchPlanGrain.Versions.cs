using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.LaunchPlans;

namespace Orleans.Flyte.Grains.LaunchPlans;

/// <summary>Versions: registration and the lifecycle transitions, each one event decided by <see cref="LaunchPlanTransitions"/>.</summary>
public sealed partial class LaunchPlanGrain
{
    public async Task<LaunchPlanRegistration> Register(RegisterLaunchPlan command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var (outcome, spec) = await DecideAndRecord(state => state.Find(command.Version) is { } existing
            ? Decision<LaunchPlanEvent, (RegistrationOutcome, string)>.Unchanged((
                string.Equals(existing.ContentHash, command.ContentHash, StringComparison.Ordinal) ? RegistrationOutcome.AlreadyRegistered : RegistrationOutcome.Conflict,
                existing.Spec))
            : Decision<LaunchPlanEvent, (RegistrationOutcome, string)>.Record((RegistrationOutcome.Created, command.Spec),
                new LaunchPlanVersionRegistered(Key.Project, Key.Domain, Key.Name, command.Version, command.Spec, command.ContentHash,
                    command.Workflow, command.WorkflowSpec, command.Plan)));
        return new LaunchPlanRegistration(outcome, View(), spec);
    }

    public async Task<TransitionResult> Activate(string version, string? reason)
    {
        // The GPU check is asked only when activating would change something. The reminder is written before the event:
        // an active schedule without one could not survive a crash; one left by a failed activation finds nothing to fire
        // and removes itself.
        var verdict = await DecideAndRecord(
            async state => state.Find(version) is { Status: LaunchPlanStatus.Inactive } target ? await UnservableGpus(target) : [],
            (state, unservableGpus) => LaunchPlanTransitions.Activate(state, version, unservableGpus),
            reason,
            beforeWrite: () => State.Find(version) is { } target && ScheduleOf(target) is not null ? Remind() : Task.CompletedTask);
        return await Answer(verdict, version);
    }

    public async Task<TransitionResult> Deactivate(string version, string? reason) =>
        await Answer(await DecideAndRecord(state => LaunchPlanTransitions.Deactivate(state, version), reason), version);

    public async Task<TransitionResult> Archive(string version, string? reason) =>
        await Answer(await DecideAndRecord(state => LaunchPlanTransitions.Archive(state, version), reason), version);

    public async Task<TransitionResult> Restore(string version, string? reason) =>
        await Answer(await DecideAndRecord(state => LaunchPlanTransitions.Restore(state, version), reason), version);

    public async Task<TransitionResult> DeactivatePlan(string? reason) =>
        await Answer(await DecideAndRecord(LaunchPlanTransitions.DeactivatePlan, reason), version: null);

    public async Task<TransitionResult> ArchivePlan(string? reason) =>
        await Answer(await DecideAndRecord(LaunchPlanTransitions.ArchivePlan, reason), version: null);

    public async Task<TransitionResult> RestorePlan(string? reason) =>
        await Answer(await DecideAndRecord(LaunchPlanTransitions.RestorePlan, reason), version: null);

    public async Task<TransitionResult> Pause(string? reason) =>
        await Answer(await DecideAndRecord(LaunchPlanTransitions.Pause, reason), version: null);

    public async Task<TransitionResult> Resume(string? reason) =>
        await Answer(await DecideAndRecord(LaunchPlanTransitions.Resume, reason, beforeWrite: Remind), version: null);

    /// <summary>The caller's answer; after a stored change, the timers and the reminder are made to match the new state.</summary>
    private async Task<TransitionResult> Answer(TransitionVerdict verdict, string? version)
    {
        switch (verdict.Kind)
        {
            case TransitionKind.NotFound:
                return NotFound(version);
            case TransitionKind.Refused:
                return Refused(verdict.Message ?? "The transition is not allowed in the launch plan's current state.");
            case TransitionKind.Invalid:
                return new TransitionResult(TransitionStatus.Invalid, verdict.Message, View(),
                    [.. (verdict.Errors ?? []).Select(e => new LaunchError(e.Pointer, e.Message))]);
            case TransitionKind.Unchanged:
                return new TransitionResult(TransitionStatus.Unchanged, null, View());
            default:
                await AfterTransition();
                return new TransitionResult(TransitionStatus.Changed, null, View());
        }
    }
}
