using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Domain.LaunchPlans;

public enum LaunchPlanStatus
{
    /// <summary>No fires; manual launches allowed.</summary>
    Inactive,

    /// <summary>The schedule fires (unless paused); manual launches allowed. At most one version per name.</summary>
    Active,

    /// <summary>No fires, no manual launches, hidden from default listings; can be restored.</summary>
    Archived,
}

[GenerateSerializer, Alias("flyte.LaunchPlanVersionState")]
public sealed class LaunchPlanVersionState
{
    [Id(0)] public string Version { get; init; } = string.Empty;
    [Id(1)] public string Spec { get; init; } = string.Empty;
    [Id(2)] public string ContentHash { get; init; } = string.Empty;
    [Id(3)] public string Workflow { get; init; } = string.Empty;
    [Id(4)] public string WorkflowSpec { get; init; } = string.Empty;
    [Id(5)] public ExecutionPlan Plan { get; init; } = null!;
    [Id(6)] public DateTimeOffset RegisteredAt { get; init; }
    [Id(7)] public string RegisteredBy { get; init; } = string.Empty;
    [Id(8)] public LaunchPlanStatus Status { get; set; }
    [Id(9)] public DateTimeOffset ChangedAt { get; set; }
    [Id(10)] public string ChangedBy { get; set; } = string.Empty;
    [Id(11)] public string? ChangeReason { get; set; }

    /// <summary>Who activated this version last: its scheduled fires act for them.</summary>
    [Id(12)] public string? ActivatedBy { get; set; }
}

/// <summary>One scheduled fire, kept for recovery (re-create a fire whose execution was not created) and overlap checks.</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanFire")]
public sealed record LaunchPlanFire([property: Id(0)] string Version, [property: Id(1)] DateTimeOffset ScheduledAt, [property: Id(2)] string ExecutionId);

/// <summary>How a launch plan created a run.</summary>
public enum LaunchPlanRunKind
{
    Scheduled,
    Triggered,
    Backfilled,
}

/// <summary>One run a launch plan created, of any kind, for the view's recent runs.</summary>
/// <param name="At">When the run was created (the event's time).</param>
/// <param name="ScheduledAt">The instant it runs for (scheduled and backfilled runs).</param>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanRun")]
public sealed record LaunchPlanRun(
    [property: Id(0)] LaunchPlanRunKind Kind,
    [property: Id(1)] string Version,
    [property: Id(2)] string ExecutionId,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] DateTimeOffset? ScheduledAt);

/// <summary>
/// All versions of one launch plan name, which one is active, and where its schedule stands. The schedule's
/// <see cref="Cursor"/> is the last instant already decided (fired, skipped, buffered or missed), or the moment the
/// schedule (re)started: only instants after it can fire, so no instant is ever decided twice.
/// </summary>
[GenerateSerializer, Alias("flyte.LaunchPlanState")]
public sealed class LaunchPlanState : IEventSourcedState<LaunchPlanEvent>
{
    public const int KeptFires = 20;

    [Id(0)] private readonly List<LaunchPlanVersionState> _versions = [];
    [Id(1)] private readonly List<LaunchPlanFire> _recentFires = [];

    public IReadOnlyList<LaunchPlanVersionState> Versions => _versions;

    [Id(2)] public string? ActiveVersion { get; private set; }
    [Id(3)] public bool Paused { get; private set; }
    [Id(4)] public DateTimeOffset? Cursor { get; private set; }

    /// <summary>With overlap buffer: the instant waiting for the previous run to end.</summary>
    [Id(5)] public DateTimeOffset? Buffered { get; private set; }

    [Id(6)] public long Fired { get; private set; }
    [Id(7)] public long Skipped { get; private set; }
    [Id(8)] public long Missed { get; private set; }

    /// <summary>Runs launched now by a caller (trigger).</summary>
    [Id(9)] public long Triggered { get; private set; }

    /// <summary>Runs created by backfills, one per instant.</summary>
    [Id(10)] public long Backfilled { get; private set; }

    [Id(11)] private readonly List<LaunchPlanRun> _recentRuns = [];

    /// <summary>The most recent runs of every kind, newest last (at most <see cref="KeptFires"/>).</summary>
    public IReadOnlyList<LaunchPlanRun> RecentRuns => _recentRuns;

    /// <summary>The most recent scheduled fires, newest last (at most <see cref="KeptFires"/>).</summary>
    public IReadOnlyList<LaunchPlanFire> RecentFires => _recentFires;

    public LaunchPlanFire? LastFire => _recentFires.Count == 0 ? null : _recentFires[^1];

    public bool Exists => _versions.Count > 0;

    public LaunchPlanVersionState? Find(string version) =>
        _versions.Find(v => string.Equals(v.Version, version, StringComparison.Ordinal));

    public LaunchPlanVersionState? Active => ActiveVersion is null ? null : Find(ActiveVersion);

    public void Apply(LaunchPlanEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        switch (@event)
        {
            case LaunchPlanVersionRegistered e:
                _versions.Add(new LaunchPlanVersionState
                {
                    Version = e.Version,
                    Spec = e.Spec,
                    ContentHash = e.ContentHash,
                    Workflow = e.Workflow,
                    WorkflowSpec = e.WorkflowSpec,
                    Plan = e.Plan,
                    RegisteredAt = e.Meta.At,
                    RegisteredBy = e.Meta.Principal,
                    Status = LaunchPlanStatus.Inactive,
                    ChangedAt = e.Meta.At,
                    ChangedBy = e.Meta.Principal,
                });
                break;
            case LaunchPlanActivated e:
                if (e.Deactivated is { } previous)
                {
                    Change(previous, LaunchPlanStatus.Inactive, e);
                }

                Change(e.Version, LaunchPlanStatus.Active, e);
                ActiveVersion = e.Version;
                Active!.ActivatedBy = e.Meta.Responsible;
                Paused = false; // activating is an explicit "fire from now", also after a pause
                StartSchedule(e);
                break;
            case LaunchPlanDeactivated e:
                Change(e.Version, LaunchPlanStatus.Inactive, e);
                StopIfActive(e.Version);
                break;
            case LaunchPlanArchived e:
                Change(e.Version, LaunchPlanStatus.Archived, e);
                StopIfActive(e.Version);
                break;
            case LaunchPlanRestored e:
                Change(e.Version, LaunchPlanStatus.Inactive, e);
                break;
            case LaunchPlanArchivedAll e:
                foreach (var version in e.Versions)
                {
                    Change(version, LaunchPlanStatus.Archived, e);
                    StopIfActive(version);
                }

                break;
            case LaunchPlanRestoredAll e:
                foreach (var version in e.Versions)
                {
                    Change(version, LaunchPlanStatus.Inactive, e);
                }

                break;
            case LaunchPlanTriggered e:
                Triggered++;
                AddRun(new LaunchPlanRun(LaunchPlanRunKind.Triggered, e.Version, e.ExecutionId, e.Meta.At, null));
                break;
            case LaunchPlanBackfilled e:
                Backfilled += e.ExecutionIds.Count;
                for (var i = 0; i < e.ExecutionIds.Count; i++)
                {
                    AddRun(new LaunchPlanRun(LaunchPlanRunKind.Backfilled, e.Version, e.ExecutionIds[i], e.Meta.At, i < e.Instants.Count ? e.Instants[i] : null));
                }

                break;
            case LaunchPlanPaused:
                Paused = true;
                Buffered = null;
                break;
            case LaunchPlanResumed e:
                Paused = false;
                StartSchedule(e);
                break;
            case LaunchPlanFired e:
                Advance(e.ScheduledAt);
                if (Buffered == e.ScheduledAt)
                {
                    Buffered = null;
                }

                Fired++;
                AddRun(new LaunchPlanRun(LaunchPlanRunKind.Scheduled, e.Version, e.ExecutionId, e.Meta.At, e.ScheduledAt));
                _recentFires.Add(new LaunchPlanFire(e.Version, e.ScheduledAt, e.ExecutionId));
                if (_recentFires.Count > KeptFires)
                {
                    _recentFires.RemoveAt(0);
                }

                break;
            case LaunchPlanFireSkipped e:
                Advance(e.ScheduledAt);
                Skipped++;
                break;
            case LaunchPlanFireBuffered e:
                Advance(e.ScheduledAt);
                Buffered = e.ScheduledAt;
                break;
            case LaunchPlanFiresMissed e:
                Advance(e.Last);
                Missed += e.Count;
                break;
        }
    }

    private void AddRun(LaunchPlanRun run)
    {
        _recentRuns.Add(run);
        if (_recentRuns.Count > KeptFires)
        {
            _recentRuns.RemoveAt(0);
        }
    }

    /// <summary>The schedule starts at the moment of the event: instants before it are not caught up.</summary>
    private void StartSchedule(LaunchPlanEvent e)
    {
        Cursor = e.Meta.At;
        Buffered = null;
    }

    private void StopIfActive(string version)
    {
        if (string.Equals(ActiveVersion, version, StringComparison.Ordinal))
        {
            ActiveVersion = null;
            Cursor = null;
            Buffered = null;
        }
    }

    private void Advance(DateTimeOffset instant)
    {
        if (Cursor is null || instant > Cursor)
        {
            Cursor = instant;
        }
    }

    private void Change(string version, LaunchPlanStatus status, LaunchPlanEvent e)
    {
        if (Find(version) is { } v)
        {
            v.Status = status;
            v.ChangedAt = e.Meta.At;
            v.ChangedBy = e.Meta.Principal;
            v.ChangeReason = e.Meta.Reason;
        }
    }
}
