using Orleans.Flyte.Domain.LaunchPlans;

namespace Orleans.Flyte.Abstractions.LaunchPlans;

[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanVersionView")]
public sealed record LaunchPlanVersionView(
    [property: Id(0)] string Version,
    [property: Id(1)] LaunchPlanStatus Status,
    [property: Id(2)] string Workflow,
    [property: Id(3)] string Spec,
    [property: Id(4)] string ContentHash,
    [property: Id(5)] DateTimeOffset RegisteredAt,
    [property: Id(6)] string RegisteredBy,
    [property: Id(7)] DateTimeOffset ChangedAt,
    [property: Id(8)] string ChangedBy,
    [property: Id(9)] string? ChangeReason);
