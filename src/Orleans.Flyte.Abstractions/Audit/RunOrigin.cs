namespace Orleans.Flyte.Abstractions.Audit;

/// <param name="SubmittedBy">The principal whose request created the run (<c>system:...</c> for a scheduled fire).</param>
/// <param name="OnBehalfOf">For a run a platform component created: whom it acted for.</param>
/// <param name="LaunchPlan"><c>name@version</c> when a launch plan created the run.</param>
/// <param name="ActivatedBy">Who activated that launch plan version (the last activation before the run), when and why.</param>
public sealed record RunOrigin(
    string SubmittedBy,
    string? OnBehalfOf,
    DateTimeOffset SubmittedAt,
    string? CorrelationId,
    string? LaunchPlan,
    DateTimeOffset? ScheduledAt,
    string? ActivatedBy,
    DateTimeOffset? ActivatedAt,
    string? ActivationReason,
    string? RelaunchOf,
    string? RecoverOf);
