using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.LaunchPlans;

public enum TransitionKind
{
    Changed,
    Unchanged,

    /// <summary>The launch plan or the version named does not exist (the caller words the message: it knows the name).</summary>
    NotFound,

    /// <summary>Not allowed in the current state; <see cref="TransitionVerdict.Message"/> says why.</summary>
    Refused,

    /// <summary>What the version asks for cannot be met; <see cref="TransitionVerdict.Errors"/> point at the fields.</summary>
    Invalid,
}

/// <param name="Errors">For <see cref="TransitionKind.Invalid"/>: what is wrong, each pointing at a field.</param>
public sealed record TransitionVerdict(TransitionKind Kind, string? Message, IReadOnlyList<SpecError>? Errors = null)
{
    public static readonly TransitionVerdict Changed = new(TransitionKind.Changed, null);
    public static readonly TransitionVerdict Unchanged = new(TransitionKind.Unchanged, null);
    public static readonly TransitionVerdict NotFound = new(TransitionKind.NotFound, null);

    public static TransitionVerdict Refused(string message) => new(TransitionKind.Refused, message);

    public static TransitionVerdict Invalid(string message, IReadOnlyList<SpecError> errors) => new(TransitionKind.Invalid, message, errors);
}

/// <summary>
/// The lifecycle of a launch plan's versions: each transition is one event or nothing. Pure: the grain records what
/// these say (conditionally, so a lost race decides again on the fresh state), and an audit can ask the same questions
/// of any past state.
/// </summary>
public static class LaunchPlanTransitions
{
    public const string UnservableGpusMessage = "The launch plan asks for GPUs no node has.";

    /// <summary>
    /// Activating a version deactivates the active one in the same event, and ends a pause. A version whose runs no node
    /// could ever serve is refused: its schedule would only queue runs that wait forever.
    /// </summary>
    /// <param name="unservableGpus">What the GPU check the grain asked for found (one error per node whose GPU request no
    /// node could ever serve); empty or null when every request can be met some day, or when it was not asked.</param>
    public static Decision<LaunchPlanEvent, TransitionVerdict> Activate(LaunchPlanState state, string version, IReadOnlyList<SpecError>? unservableGpus = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Find(version) switch
        {
            null => Verdict(TransitionVerdict.NotFound),
            { Status: LaunchPlanStatus.Archived } => Verdict(TransitionVerdict.Refused($"Version '{version}' is archived; restore it before activating it.")),
            { Status: LaunchPlanStatus.Active } => Verdict(TransitionVerdict.Unchanged),
            _ when unservableGpus is { Count: > 0 } => Verdict(TransitionVerdict.Invalid(UnservableGpusMessage, unservableGpus)),
            _ => Change(new LaunchPlanActivated(version, state.ActiveVersion)),
        };
    }

    public static Decision<LaunchPlanEvent, TransitionVerdict> Deactivate(LaunchPlanState state, string version)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Find(version) switch
        {
            null => Verdict(TransitionVerdict.NotFound),
            { Status: LaunchPlanStatus.Active } => Change(new LaunchPlanDeactivated(version)),
            _ => Verdict(TransitionVerdict.Unchanged),
        };
    }

    /// <summary>Any version can be archived; archiving the active one also stops its schedule.</summary>
    public static Decision<LaunchPlanEvent, TransitionVerdict> Archive(LaunchPlanState state, string version)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Find(version) switch
        {
            null => Verdict(TransitionVerdict.NotFound),
            { Status: LaunchPlanStatus.Archived } => Verdict(TransitionVerdict.Unchanged),
            var v => Change(new LaunchPlanArchived(version, v.Status == LaunchPlanStatus.Active)),
        };
    }

    public static Decision<LaunchPlanEvent, TransitionVerdict> Restore(LaunchPlanState state, string version)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Find(version) switch
        {
            null => Verdict(TransitionVerdict.NotFound),
            { Status: LaunchPlanStatus.Archived } => Change(new LaunchPlanRestored(version)),
            _ => Verdict(TransitionVerdict.Unchanged),
        };
    }

    /// <summary>The whole plan: its active version, if any, is deactivated (at most one version is ever active).</summary>
    public static Decision<LaunchPlanEvent, TransitionVerdict> DeactivatePlan(LaunchPlanState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state switch
        {
            { Exists: false } => Verdict(TransitionVerdict.NotFound),
            { ActiveVersion: { } active } => Change(new LaunchPlanDeactivated(active)),
            _ => Verdict(TransitionVerdict.Unchanged),
        };
    }

    /// <summary>The whole plan: every version not archived yet is archived in one event, which stops the active one's schedule.</summary>
    public static Decision<LaunchPlanEvent, TransitionVerdict> ArchivePlan(LaunchPlanState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var versions = state.Versions.Where(v => v.Status != LaunchPlanStatus.Archived).Select(v => v.Version).ToList();
        return (state.Exists, versions.Count) switch
        {
            (false, _) => Verdict(TransitionVerdict.NotFound),
            (_, 0) => Verdict(TransitionVerdict.Unchanged),
            _ => Change(new LaunchPlanArchivedAll(versions, state.ActiveVersion)),
        };
    }

    /// <summary>The whole plan: every archived version comes back inactive in one event (none is activated).</summary>
    public static Decision<LaunchPlanEvent, TransitionVerdict> RestorePlan(LaunchPlanState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var versions = state.Versions.Where(v => v.Status == LaunchPlanStatus.Archived).Select(v => v.Version).ToList();
        return (state.Exists, versions.Count) switch
        {
            (false, _) => Verdict(TransitionVerdict.NotFound),
            (_, 0) => Verdict(TransitionVerdict.Unchanged),
            _ => Change(new LaunchPlanRestoredAll(versions)),
        };
    }

    public static Decision<LaunchPlanEvent, TransitionVerdict> Pause(LaunchPlanState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Active switch
        {
            null => NoSchedule(state, "pause"),
            _ when state.Paused => Verdict(TransitionVerdict.Unchanged),
            var active => Change(new LaunchPlanPaused(active.Version)),
        };
    }

    public static Decision<LaunchPlanEvent, TransitionVerdict> Resume(LaunchPlanState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Active switch
        {
            null => NoSchedule(state, "resume"),
            _ when !state.Paused => Verdict(TransitionVerdict.Unchanged),
            var active => Change(new LaunchPlanResumed(active.Version)),
        };
    }

    private static Decision<LaunchPlanEvent, TransitionVerdict> NoSchedule(LaunchPlanState state, string action) => Verdict(state.Exists
        ? TransitionVerdict.Refused($"No version is active, so there is no schedule to {action}; activate a version first " +
            $"(POST .../versions/{(state.Versions.LastOrDefault(v => v.Status != LaunchPlanStatus.Archived) ?? state.Versions[^1]).Version}/activate).")
        : TransitionVerdict.NotFound);

    private static Decision<LaunchPlanEvent, TransitionVerdict> Change(LaunchPlanEvent change) =>
        Decision<LaunchPlanEvent, TransitionVerdict>.Record(TransitionVerdict.Changed, change);

    private static Decision<LaunchPlanEvent, TransitionVerdict> Verdict(TransitionVerdict verdict) =>
        Decision<LaunchPlanEvent, TransitionVerdict>.Unchanged(verdict);
}
