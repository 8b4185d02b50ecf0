using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Abstractions.Submissions;

/// <summary>What became of a submission.</summary>
public abstract record SubmissionResult
{
    private SubmissionResult()
    {
    }

    /// <summary>The execution exists: created by this call, or found (the same submission with the same id).</summary>
    public sealed record Accepted(ExecutionView Execution, bool Created) : SubmissionResult;

    /// <summary>Nothing was stored; each error points at the offending field of the submission.</summary>
    /// <param name="Title">What kind of mistake it is, e.g. <c>The submission asks for GPUs no node has.</c></param>
    public sealed record Invalid(string Title, IReadOnlyList<SpecError> Errors) : SubmissionResult;

    /// <summary>The execution to relaunch or recover does not exist.</summary>
    public sealed record NotFound(string Message) : SubmissionResult;

    /// <summary>Refused in the current state: the id (from an idempotency key) names a different submission, or the
    /// execution to recover has not ended.</summary>
    public sealed record Conflict(string ExecutionId, string Message) : SubmissionResult;

    /// <summary>Not taken on now: too many of the caller's submissions (or of everyone's) already wait on this server.
    /// Nothing was stored; the same submission may be sent again after <paramref name="RetryAfter"/>.</summary>
    public sealed record Busy(string Message, TimeSpan RetryAfter) : SubmissionResult;
}
