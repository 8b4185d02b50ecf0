namespace Orleans.Flyte.Abstractions.Gpus;

/// <summary>Who holds a unit: the attempt of a task of an execution, since when, and for whom.</summary>
/// <param name="Principal">Whom the lease is held for: the principal its request was recorded with (the submitter, or the
/// launch plan's activator for a scheduled run); null for leases recorded before this was kept.</param>
[GenerateSerializer, Immutable, Alias("flyte.LeaseHolder")]
public sealed record LeaseHolder(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] string Execution,
    [property: Id(3)] string Node,
    [property: Id(4)] int Attempt,
    [property: Id(5)] string AttemptId,
    [property: Id(6)] DateTimeOffset Since,
    [property: Id(7)] string? Principal = null);
