namespace Orleans.Flyte.Abstractions.LaunchPlans;

/// <param name="Executions">The executions launched (or found, for instants launched before).</param>
[GenerateSerializer, Immutable, Alias("flyte.LaunchResult")]
public sealed record LaunchResult(
    [property: Id(0)] TransitionStatus Status,
    [property: Id(1)] string? Message,
    [property: Id(2)] IReadOnlyList<LaunchError> Errors,
    [property: Id(3)] IReadOnlyList<LaunchedRun> Executions);
