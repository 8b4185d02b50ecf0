namespace Orleans.Flyte.Abstractions.Gpus;

/// <summary>Who holds a unit: the attempt of a task of an execution, and since when.</summary>
[GenerateSerializer, Immutable, Alias("flyte.LeaseHolder")]
public sealed record LeaseHolder(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] string Execution,
    [property: Id(3)] string Node,
    [property: Id(4)] int Attempt,
    [property: Id(5)] string AttemptId,
    [property: Id(6)] DateTimeOffset Since);
