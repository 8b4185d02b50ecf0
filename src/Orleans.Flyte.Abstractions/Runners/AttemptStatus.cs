namespace Orleans.Flyte.Abstractions.Runners;

/// <param name="OutputsJson">On success: the JSON object the task wrote.</param>
/// <param name="Error">On failure: what went wrong, in words a user can act on (exit code and stderr tail, OOMKilled, ...).</param>
/// <param name="Permanent">On failure: no retry can succeed (the executable does not exist, the image name is invalid or the
/// image is not in the registry), so the engine fails the node at once instead of spending its retries.</param>
[GenerateSerializer, Immutable, Alias("flyte.AttemptStatus")]
public sealed record AttemptStatus(
    [property: Id(0)] string AttemptId,
    [property: Id(1)] AttemptPhase Phase,
    [property: Id(2)] int? ExitCode = null,
    [property: Id(3)] string? OutputsJson = null,
    [property: Id(4)] string? Error = null,
    [property: Id(5)] DateTimeOffset? StartedAt = null,
    [property: Id(6)] DateTimeOffset? FinishedAt = null,
    [property: Id(7)] bool Permanent = false)
{
    public bool IsTerminal => Phase is AttemptPhase.Succeeded or AttemptPhase.Failed or AttemptPhase.TimedOut or AttemptPhase.Terminated or AttemptPhase.Lost;

    /// <summary>Whether <paramref name="next"/> is progress after this status: an attempt only moves forward (Unknown,
    /// Pending, Running, then terminal), and its first terminal verdict stands.</summary>
    public bool Precedes(AttemptStatus next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return !IsTerminal && Rank(next.Phase) > Rank(Phase);
    }

    private static int Rank(AttemptPhase phase) => phase switch
    {
        AttemptPhase.Unknown => 0,
        AttemptPhase.Pending => 1,
        AttemptPhase.Running => 2,
        _ => 3,
    };
}
