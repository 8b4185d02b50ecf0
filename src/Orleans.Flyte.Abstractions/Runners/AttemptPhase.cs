namespace Orleans.Flyte.Abstractions.Runners;

[GenerateSerializer, Alias("flyte.AttemptPhase")]
public enum AttemptPhase
{
    /// <summary>The runner has no trace of the attempt.</summary>
    Unknown,
    Pending,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Terminated,

    /// <summary>The runner knows the attempt was started but its process or pod is gone without a result
    /// (it died with its silo or node). The engine retries such attempts.</summary>
    Lost,
}
