namespace Orleans.Flyte.Abstractions.Runners;

/// <summary>What a runner has in flight on this silo, for the <c>flyte_runner_running_attempts</c> gauge.</summary>
public interface IRunnerLoad
{
    /// <summary>The runner's label value: <c>local</c>, <c>kubernetes</c>.</summary>
    string RunnerName { get; }

    /// <summary>Attempts launched here whose end the runner has not seen yet.</summary>
    int RunningAttempts { get; }
}
