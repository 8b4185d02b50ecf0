using Orleans.Flyte.Domain.LaunchPlans;

namespace Orleans.Flyte.Abstractions.LaunchPlans;

[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanView")]
public sealed record LaunchPlanView(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] string Name,
    [property: Id(3)] string? ActiveVersion,
    [property: Id(4)] bool Paused,
    [property: Id(5)] DateTimeOffset? ScheduledThrough,
    [property: Id(6)] DateTimeOffset? Buffered,
    [property: Id(7)] long Fired,
    [property: Id(8)] long Skipped,
    [property: Id(9)] long Missed,
    [property: Id(10)] IReadOnlyList<DateTimeOffset> NextFires,
    [property: Id(11)] IReadOnlyList<LaunchPlanVersionView> Versions,
    [property: Id(12)] IReadOnlyList<LaunchPlanFire> RecentFires,
    [property: Id(13)] long Triggered,
    [property: Id(14)] long Backfilled,
    [property: Id(15)] IReadOnlyList<LaunchPlanRun> RecentRuns);
