namespace Orleans.Flyte.Abstractions.LaunchPlans;

[GenerateSerializer, Immutable, Alias("flyte.TransitionResult")]
public sealed record TransitionResult(
    [property: Id(0)] TransitionStatus Status,
    [property: Id(1)] string? Message,
    [property: Id(2)] LaunchPlanView? LaunchPlan);
