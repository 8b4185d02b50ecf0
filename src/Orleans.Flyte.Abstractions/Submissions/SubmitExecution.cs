namespace Orleans.Flyte.Abstractions.Submissions;

/// <summary>A request to create one execution in a project/domain.</summary>
/// <param name="Source">What to run, and with which inputs.</param>
public sealed record SubmitExecution(string Project, string Domain, SubmissionSource Source)
{
    /// <summary>The id to create; derived from <see cref="IdempotencyKey"/> when null, else new. Launch plans pass the id
    /// of the instant they fired (or of their own idempotency key), so a repeated launch names the same execution.</summary>
    public string? ExecutionId { get; init; }

    /// <summary>The caller's idempotency key: stored with the execution, and the same key names the same execution.</summary>
    public string? IdempotencyKey { get; init; }
}
