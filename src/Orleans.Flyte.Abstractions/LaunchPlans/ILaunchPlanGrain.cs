using Orleans.Flyte.Abstractions.Registry;

namespace Orleans.Flyte.Abstractions.LaunchPlans;

/// <summary>
/// One launch plan name in one project/domain: its immutable versions, the single active version, and the schedule
/// that version fires. Key: <c>project/domain/name</c> (<see cref="DefinitionKey"/>). Every transition is one event
/// with the caller's principal and reason; a transition is effective when acknowledged: the grain handles one call
/// at a time, so no fire starts after a deactivation or archive returns.
/// </summary>
[Alias("flyte.ILaunchPlanGrain")]
public interface ILaunchPlanGrain : IGrainWithStringKey
{
    /// <summary>Registers a version (inactive). Same version and content: idempotent; other content: conflict.</summary>
    [Alias("Register")]
    Task<LaunchPlanRegistration> Register(RegisterLaunchPlan command);

    /// <summary>The launch plan with all its versions; null when no version is registered.</summary>
    [Alias("Get")]
    Task<LaunchPlanView?> Get();

    /// <summary>Activates a version; the previously active version is deactivated in the same event.</summary>
    [Alias("Activate")]
    Task<TransitionResult> Activate(string version, string? reason);

    [Alias("Deactivate")]
    Task<TransitionResult> Deactivate(string version, string? reason);

    [Alias("Archive")]
    Task<TransitionResult> Archive(string version, string? reason);

    [Alias("Restore")]
    Task<TransitionResult> Restore(string version, string? reason);

    /// <summary>The whole plan by name: deactivates its active version (one event); its schedule stops.</summary>
    [Alias("DeactivatePlan")]
    Task<TransitionResult> DeactivatePlan(string? reason);

    /// <summary>The whole plan by name: archives every version in one event; the active one's schedule stops.</summary>
    [Alias("ArchivePlan")]
    Task<TransitionResult> ArchivePlan(string? reason);

    /// <summary>The whole plan by name: restores every archived version (inactive) in one event.</summary>
    [Alias("RestorePlan")]
    Task<TransitionResult> RestorePlan(string? reason);

    [Alias("Pause")]
    Task<TransitionResult> Pause(string? reason);

    [Alias("Resume")]
    Task<TransitionResult> Resume(string? reason);

    /// <summary>Launches a version now (the active one when <paramref name="version"/> is null) with optional overrides of
    /// non-fixed inputs. With <paramref name="executionId"/> (derived from an idempotency key) a retry finds the execution
    /// the first call created instead of starting another; the same id with other inputs is refused.</summary>
    [Alias("Trigger")]
    Task<LaunchResult> Trigger(string? version, string? overridesJson, string? reason, string? executionId);

    /// <summary>One execution per scheduled instant in [from, to), each with the id a scheduled fire of that instant has.</summary>
    [Alias("Backfill")]
    Task<LaunchResult> Backfill(string version, DateTimeOffset from, DateTimeOffset to, string? reason);

    /// <summary>Fires what is due by the clock. Called by the grain's own timers and reminder; safe to call any time.</summary>
    [Alias("Tick")]
    Task Tick();
}
