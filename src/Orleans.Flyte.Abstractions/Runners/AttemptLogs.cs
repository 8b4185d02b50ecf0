namespace Orleans.Flyte.Abstractions.Runners;

[GenerateSerializer, Immutable, Alias("flyte.AttemptLogs")]
public sealed record AttemptLogs(
    [property: Id(0)] string AttemptId,
    [property: Id(1)] string Stdout,
    [property: Id(2)] string Stderr,
    [property: Id(3)] bool Truncated);
