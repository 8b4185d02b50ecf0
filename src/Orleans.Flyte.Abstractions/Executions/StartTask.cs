namespace Orleans.Flyte.Abstractions.Executions;

[GenerateSerializer, Immutable, Alias("flyte.StartTask")]
public sealed record StartTask(
    [property: Id(0)] string ExecutionId,
    [property: Id(1)] string NodeId,
    [property: Id(2)] string Project,
    [property: Id(3)] string Domain,
    [property: Id(4)] string Task,
    [property: Id(5)] string TaskSpec,
    [property: Id(6)] string InputsJson,
    [property: Id(7)] bool OverwriteCache,
    [property: Id(8)] int Priority = 0)
{
    /// <summary>When the execution was accepted, for the nodes started with it (its first wave); null for later nodes.
    /// Only measured (submission → first launch), never decided on.</summary>
    [Id(9)]
    public DateTimeOffset? SubmittedAt { get; init; }
}
