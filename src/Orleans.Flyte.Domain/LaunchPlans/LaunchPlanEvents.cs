using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Domain.LaunchPlans;

/// <summary>Events of one launch plan name in one project/domain: its immutable versions, their states, and its schedule's fires.</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanEvent")]
public abstract record LaunchPlanEvent : DomainEvent;

/// <param name="Spec">The normalized launch plan spec as canonical JSON.</param>
/// <param name="Workflow">The exact workflow version it runs, <c>name@version</c> (pinned at registration).</param>
/// <param name="WorkflowSpec">That workflow version's canonical spec (inputs are composed against it at every launch).</param>
/// <param name="Plan">The compiled execution plan: the workflow and every pinned task spec. A launch plan version never floats.</param>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanVersionRegistered")]
public sealed record LaunchPlanVersionRegistered(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] string Name,
    [property: Id(3)] string Version,
    [property: Id(4)] string Spec,
    [property: Id(5)] string ContentHash,
    [property: Id(6)] string Workflow,
    [property: Id(7)] string WorkflowSpec,
    [property: Id(8)] ExecutionPlan Plan) : LaunchPlanEvent;

/// <summary><paramref name="Version"/> became the active version; <paramref name="Deactivated"/> (the previous active
/// version, if any) stopped in the same event, so there is never a moment with two active versions or a gap a fire could use.</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanActivated")]
public sealed record LaunchPlanActivated([property: Id(0)] string Version, [property: Id(1)] string? Deactivated) : LaunchPlanEvent;

[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanDeactivated")]
public sealed record LaunchPlanDeactivated([property: Id(0)] string Version) : LaunchPlanEvent;

/// <param name="WasActive">The version was active: archiving it also stopped its schedule.</param>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanArchived")]
public sealed record LaunchPlanArchived([property: Id(0)] string Version, [property: Id(1)] bool WasActive) : LaunchPlanEvent;

/// <summary>An archived version is back, inactive.</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanRestored")]
public sealed record LaunchPlanRestored([property: Id(0)] string Version) : LaunchPlanEvent;

/// <summary>The whole launch plan (every version not archived yet, <paramref name="Versions"/>) was archived in one step; the
/// active one (<paramref name="WasActive"/>) stopped its schedule with it.</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanArchivedAll")]
public sealed record LaunchPlanArchivedAll([property: Id(0)] IReadOnlyList<string> Versions, [property: Id(1)] string? WasActive) : LaunchPlanEvent;

/// <summary>Every archived version of the launch plan (<paramref name="Versions"/>) is back, inactive, in one step.</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanRestoredAll")]
public sealed record LaunchPlanRestoredAll([property: Id(0)] IReadOnlyList<string> Versions) : LaunchPlanEvent;

/// <summary>The schedule stops firing while the active version stays active (manual launches still work).</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanPaused")]
public sealed record LaunchPlanPaused([property: Id(0)] string Version) : LaunchPlanEvent;

/// <summary>The schedule fires again from the instant of this event; instants during the pause are not caught up.</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanResumed")]
public sealed record LaunchPlanResumed([property: Id(0)] string Version) : LaunchPlanEvent;

/// <summary>A scheduled instant fired: recorded before the execution is created, with the execution's deterministic id.</summary>
/// <param name="Late">Fired by the catch-up policy after the instant had passed the misfire threshold.</param>
/// <param name="Cancelled">With overlap cancelPrevious: the previous run this fire aborted.</param>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanFired")]
public sealed record LaunchPlanFired(
    [property: Id(0)] string Version,
    [property: Id(1)] DateTimeOffset ScheduledAt,
    [property: Id(2)] string ExecutionId,
    [property: Id(3)] bool Late,
    [property: Id(4)] string? Cancelled) : LaunchPlanEvent;

/// <summary>A due instant did not fire because the previous run was still going (overlap skip, or buffer full).</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanFireSkipped")]
public sealed record LaunchPlanFireSkipped(
    [property: Id(0)] string Version,
    [property: Id(1)] DateTimeOffset ScheduledAt,
    [property: Id(2)] string Reason) : LaunchPlanEvent;

/// <summary>A due instant waits for the previous run to end (overlap buffer).</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanFireBuffered")]
public sealed record LaunchPlanFireBuffered(
    [property: Id(0)] string Version,
    [property: Id(1)] DateTimeOffset ScheduledAt,
    [property: Id(2)] string Waiting) : LaunchPlanEvent;

/// <summary>Late instants the catch-up policy dropped: <paramref name="Count"/> of them, from <paramref name="First"/> to <paramref name="Last"/>.</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanFiresMissed")]
public sealed record LaunchPlanFiresMissed(
    [property: Id(0)] string Version,
    [property: Id(1)] int Count,
    [property: Id(2)] DateTimeOffset First,
    [property: Id(3)] DateTimeOffset Last,
    [property: Id(4)] CatchUpPolicy Policy) : LaunchPlanEvent;

/// <summary>A manual launch (trigger now).</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanTriggered")]
public sealed record LaunchPlanTriggered(
    [property: Id(0)] string Version,
    [property: Id(1)] string ExecutionId,
    [property: Id(2)] string InputsJson) : LaunchPlanEvent;

/// <summary>A backfill: one execution per scheduled instant in [From, To), each with the id a scheduled fire of that instant has.</summary>
[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanBackfilled")]
public sealed record LaunchPlanBackfilled(
    [property: Id(0)] string Version,
    [property: Id(1)] DateTimeOffset From,
    [property: Id(2)] DateTimeOffset To,
    [property: Id(3)] IReadOnlyList<DateTimeOffset> Instants,
    [property: Id(4)] IReadOnlyList<string> ExecutionIds) : LaunchPlanEvent;
