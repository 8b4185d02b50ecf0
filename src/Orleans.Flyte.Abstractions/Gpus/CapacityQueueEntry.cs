using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Abstractions.Gpus;

/// <param name="Principal">Whom the request waits for (see <see cref="LeaseHolder.Principal"/>).</param>
[GenerateSerializer, Immutable, Alias("flyte.CapacityQueueEntry")]
public sealed record CapacityQueueEntry(
    [property: Id(0)] int Position,
    [property: Id(1)] string AttemptId,
    [property: Id(2)] string Project,
    [property: Id(3)] string Domain,
    [property: Id(4)] string Execution,
    [property: Id(5)] string Node,
    [property: Id(6)] int Attempt,
    [property: Id(7)] string Request,
    [property: Id(8)] long Priority,
    [property: Id(9)] DateTimeOffset WaitingSince,
    [property: Id(10)] GpuWaitReason Reason,
    [property: Id(11)] string Resource,
    [property: Id(12)] string? Principal = null);
