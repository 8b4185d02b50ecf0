namespace Orleans.Flyte.Abstractions.Executions;

public enum CreateStatus
{
    Created,
    AlreadyExists,

    /// <summary>The execution id (from an idempotency key) is taken by a different submission.</summary>
    Conflict,
}
