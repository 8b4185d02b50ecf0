namespace Orleans.Flyte.Abstractions.LaunchPlans;

/// <param name="Errors">For <see cref="TransitionStatus.Invalid"/>: what is wrong, each pointing at a field (e.g. a GPU
/// request no node could ever serve, on activation).</param>
[GenerateSerializer, Immutable, Alias("flyte.TransitionResult")]
public sealed record TransitionResult(
    [property: Id(0)] TransitionStatus Status,
    [property: Id(1)] string? Message,
    [property: Id(2)] LaunchPlanView? LaunchPlan,
    [property: Id(3)] IReadOnlyList<LaunchError>? Errors = null);
