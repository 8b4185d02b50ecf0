namespace Orleans.Flyte.Abstractions.Executions;

/// <summary>
/// Durable supervision of active workflow executions, sharded: shard <c>n</c> (the grain's key) holds one reminder and,
/// on each tick, asks every accepted, not yet terminal execution of its shard (from the execution read model) to
/// recover. This replaces one reminder per execution, so accepting a submission costs no reminder write of its own.
/// </summary>
[Alias("flyte.IExecutionSupervisorGrain")]
public interface IExecutionSupervisorGrain : IGrainWithIntegerKey
{
    /// <summary>How many shards supervise executions; an execution belongs to <see cref="ShardOf"/>.</summary>
    const int Shards = 8;

    /// <summary>The shard supervising an execution: the last character of its id, so the read model can be filtered by it.</summary>
    static int ShardOf(string executionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(executionId);
        return executionId[^1] % Shards;
    }

    /// <summary>Completes once this shard's reminder is durable (one write per activation of the shard, then free):
    /// an execution is acknowledged only once the shard that will bring it back after a crash is remembered.</summary>
    [Alias("Watch")]
    Task Watch();

    /// <summary>Asks every active execution of this shard to recover now (what a reminder tick does); answers how many.</summary>
    [Alias("Sweep")]
    Task<int> Sweep();
}
