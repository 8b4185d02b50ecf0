using Orleans.Flyte.Domain.LaunchPlans;

namespace Orleans.Flyte.Abstractions.Catalogs;

/// <summary>One launch plan version as listings show it.</summary>
/// <param name="Workflow">The pinned workflow version, <c>name@version</c>.</param>
/// <param name="Schedule">The schedule in words (cron and time zone, or rate); null without one.</param>
/// <param name="ScheduledThrough">The last instant this version's schedule decided (fired, skipped, buffered or missed).</param>
public sealed record LaunchPlanEntry(
    string Project,
    string Domain,
    string Name,
    string Version,
    string Workflow,
    LaunchPlanStatus Status,
    string? Schedule,
    bool Paused,
    DateTimeOffset? ScheduledThrough,
    long Fired,
    DateTimeOffset RegisteredAt,
    string RegisteredBy,
    DateTimeOffset ChangedAt,
    string ChangedBy,
    string? ChangeReason);
