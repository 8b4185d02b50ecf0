namespace Orleans.Flyte.Domain.Gpus;

public enum PlacementPolicy
{
    /// <summary>The node (and GPU class) left with the fewest free units that still fits: big free blocks stay whole.</summary>
    BestFit,

    /// <summary>The first node, in name order, that fits (the baseline the benchmark compares with).</summary>
    FirstFit,
}

/// <summary>How the allocator orders and places requests.</summary>
public sealed record GpuAllocatorPolicy
{
    public static readonly GpuAllocatorPolicy Default = new();

    public PlacementPolicy Placement { get; init; } = PlacementPolicy.BestFit;

    /// <summary>Priority of each domain: production before staging before development by default.</summary>
    public IReadOnlyDictionary<string, int> DomainRanks { get; init; } =
        new Dictionary<string, int>(StringComparer.Ordinal) { ["production"] = 200, ["staging"] = 100, ["development"] = 0 };

    /// <summary>Every <see cref="AgeingInterval"/> of waiting adds <see cref="AgeingBoost"/> to a request's priority, so
    /// nothing waits forever behind a stream of higher-priority work.</summary>
    public TimeSpan AgeingInterval { get; init; } = TimeSpan.FromMinutes(1);

    public int AgeingBoost { get; init; } = 10;

    /// <summary>A request at the head of the queue that has waited this long and still does not fit gets a
    /// reservation: smaller requests stop taking the units it needs on the node closest to fitting it.</summary>
    public TimeSpan ReserveAfter { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Quotas that apply where none was set through the API: <c>domain → resource → limit</c>
    /// (<c>*</c> as domain applies to every domain).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> DefaultQuotas { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);

    public int Rank(string domain) => DomainRanks.TryGetValue(domain, out var rank) ? rank : 0;

    public long EffectivePriority(WaitingRequest waiting, DateTimeOffset now)
    {
        var waited = now - waiting.Since;
        var steps = AgeingInterval > TimeSpan.Zero && waited > TimeSpan.Zero ? waited.Ticks / AgeingInterval.Ticks : 0;
        return Rank(waiting.Request.Domain) + waiting.Request.Priority + (steps * AgeingBoost);
    }

    public int? Limit(GpuAllocatorState state, string project, string domain, string resource)
    {
        if (state.Quota(project, domain, resource) is { } explicitLimit)
        {
            return explicitLimit;
        }

        return (DefaultQuotas.TryGetValue(domain, out var byResource) || DefaultQuotas.TryGetValue("*", out byResource))
            && byResource.TryGetValue(resource, out var limit)
                ? limit
                : null;
    }
}
