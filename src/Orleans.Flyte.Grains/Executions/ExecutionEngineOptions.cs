namespace Orleans.Flyte.Grains.Executions;

/// <summary>Bound from <c>Flyte:Engine</c>.</summary>
public sealed class ExecutionEngineOptions
{
    public const string Section = "Flyte:Engine";

    /// <summary>Delay before the second attempt; doubles for each further attempt.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often each supervisor shard's reminder re-checks the active executions of its shard (Orleans allows no
    /// less than its MinimumReminderPeriod). This bounds how long a crash or a lost notification can delay progress.</summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How much of a finished attempt's stdout and of its stderr (characters, the tail) is kept in the store once
    /// its result is recorded; the runner then drops its own copy (see <c>Flyte:Runners:Local:RetainAttemptDirectories</c>).</summary>
    public int LogTailChars { get; set; } = 64 * 1024;

    public TimeSpan RetryDelay(int failedAttempt)
    {
        var factor = Math.Pow(2, Math.Clamp(failedAttempt - 1, 0, 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(RetryBaseDelay.Ticks * factor, RetryMaxDelay.Ticks));
        return delay;
    }
}
