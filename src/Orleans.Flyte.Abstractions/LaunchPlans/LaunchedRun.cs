namespace Orleans.Flyte.Abstractions.LaunchPlans;

[GenerateSerializer, Immutable, Alias("flyte.LaunchedRun")]
public sealed record LaunchedRun([property: Id(0)] string ExecutionId, [property: Id(1)] DateTimeOffset? ScheduledAt, [property: Id(2)] bool Created);
