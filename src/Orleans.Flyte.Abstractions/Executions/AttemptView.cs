using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Abstractions.Executions;

[GenerateSerializer, Immutable, Alias("flyte.AttemptView")]
public sealed record AttemptView(
    [property: Id(0)] int Attempt,
    [property: Id(1)] string AttemptId,
    [property: Id(2)] string Outcome,
    [property: Id(3)] DateTimeOffset LaunchedAt,
    [property: Id(4)] DateTimeOffset? StartedAt,
    [property: Id(5)] DateTimeOffset? FinishedAt,
    [property: Id(6)] string? Error,
    [property: Id(7)] int? ExitCode,
    [property: Id(8)] GpuGrant? Gpu = null);
