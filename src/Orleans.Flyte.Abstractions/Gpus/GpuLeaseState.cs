namespace Orleans.Flyte.Abstractions.Gpus;

[GenerateSerializer, Alias("flyte.GpuLeaseState")]
public enum GpuLeaseState
{
    Unknown,
    Waiting,
    Granted,

    /// <summary>Released or withdrawn: the request id cannot be used again.</summary>
    Ended,
}
