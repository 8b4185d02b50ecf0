using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.LaunchPlans;

/// <summary>Body of activate, deactivate, archive, restore, pause and resume: why (recorded with the caller in the event).</summary>
public sealed record LaunchPlanTransitionRequest(string? Reason);

/// <param name="Version">The version to launch; the active version when omitted.</param>
/// <param name="Inputs">Overrides of inputs that are not fixed by the launch plan.</param>
public sealed record TriggerLaunchPlanRequest(string? Version, JsonObject? Inputs, string? Reason);

/// <summary>Launch one execution per scheduled instant in [from, to).</summary>
public sealed record BackfillLaunchPlanRequest(DateTimeOffset? From, DateTimeOffset? To, string? Reason);

public sealed record LaunchPlanVersionResponse(
    string Version,
    string State,
    string Workflow,
    string ContentHash,
    DateTimeOffset RegisteredAt,
    string RegisteredBy,
    DateTimeOffset ChangedAt,
    string ChangedBy,
    string? ChangeReason,
    JsonNode? Spec);

public sealed record LaunchPlanFireResponse(string Version, DateTimeOffset ScheduledAt, string ExecutionId);

/// <param name="ScheduledThrough">The last instant the schedule has decided (fired, skipped, buffered or missed).</param>
/// <param name="NextFires">The next instants the active schedule will fire (empty when nothing is scheduled).</param>
/// <param name="RecentFires">The schedule's recent fires; <paramref name="RecentRuns"/> has every kind of run.</param>
/// <param name="RecentRuns">The most recent runs the launch plan created (scheduled, triggered, backfilled), newest last.</param>
public sealed record LaunchPlanResponse(
    string Project,
    string Domain,
    string Name,
    string? ActiveVersion,
    bool Paused,
    DateTimeOffset? ScheduledThrough,
    DateTimeOffset? Buffered,
    long Fired,
    long Skipped,
    long Missed,
    IReadOnlyList<DateTimeOffset> NextFires,
    IReadOnlyList<LaunchPlanVersionResponse> Versions,
    IReadOnlyList<LaunchPlanFireResponse> RecentFires,
    LaunchPlanRunCounts Runs,
    IReadOnlyList<LaunchPlanRunResponse> RecentRuns);

/// <summary>Every run the launch plan created, by kind.</summary>
/// <param name="Scheduled">Fired by the schedule (also in <c>fired</c>).</param>
/// <param name="Triggered">Launched now by a caller.</param>
/// <param name="Backfilled">Created by backfills, one per instant.</param>
public sealed record LaunchPlanRunCounts(long Scheduled, long Triggered, long Backfilled);

/// <param name="Kind">scheduled, triggered or backfilled.</param>
/// <param name="At">When the launch plan created the run.</param>
/// <param name="ScheduledAt">The instant it runs for (scheduled and backfilled runs).</param>
public sealed record LaunchPlanRunResponse(string Kind, string Version, string ExecutionId, DateTimeOffset At, DateTimeOffset? ScheduledAt);

public sealed record LaunchPlanSummary(
    string Name,
    string Version,
    string State,
    string Workflow,
    string? Schedule,
    bool Paused,
    DateTimeOffset? ScheduledThrough,
    long Fired,
    DateTimeOffset RegisteredAt,
    DateTimeOffset ChangedAt,
    string ChangedBy);

public sealed record LaunchPlanList(IReadOnlyList<LaunchPlanSummary> Items);

public sealed record LaunchedExecution(string Id, DateTimeOffset? ScheduledAt, bool Created, string Location);

public sealed record LaunchResponse(string LaunchPlan, IReadOnlyList<LaunchedExecution> Executions);
