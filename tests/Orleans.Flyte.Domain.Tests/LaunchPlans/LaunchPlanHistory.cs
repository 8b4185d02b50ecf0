using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Tests.LaunchPlans;

/// <summary>Launch plan states folded from events, as a grain folds its stream: minute n of a test is <c>T0 + n minutes</c>.</summary>
internal static class LaunchPlanHistory
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    public static readonly TimeSpan Threshold = TimeSpan.FromMinutes(1);

    public static DateTimeOffset Minute(int n) => T0.AddMinutes(n);

    /// <summary>The id a fire gets: deterministic in version and instant, readable in assertions.</summary>
    public static string RunId(string version, DateTimeOffset instant) => $"{version}-{(int)(instant - T0).TotalMinutes}";

    public static ScheduleSpec Schedule(string fields)
    {
        var spec = LaunchPlanSpecReader.Read(SpecDocument.Parse($"name: p\nversion: v1\nworkflow: w@v1\nschedule: {{ {fields} }}").Value!);
        spec.Errors.Should().BeEmpty();
        return spec.Value!.Schedule!;
    }

    public static LaunchPlanVersionRegistered Registered(string version) => new("lab", "development", "nightly", version, "{}", $"hash-{version}",
        "w@v1", "{}", new ExecutionPlan("w", "v1", false, null, [], new Dictionary<string, string>()));

    /// <summary>Versions v1 and v2 registered at T0, v1 activated at <paramref name="activatedAt"/> (minutes).</summary>
    public static LaunchPlanState ActiveSince(int activatedAt = 0) => new LaunchPlanState()
        .Then(0, Registered("v1"), Registered("v2"))
        .Then(activatedAt, new LaunchPlanActivated("v1", null));

    /// <summary>Applies events stamped at minute <paramref name="minute"/>, as the grain's write would.</summary>
    public static LaunchPlanState Then(this LaunchPlanState state, int minute, params LaunchPlanEvent[] events)
    {
        foreach (var e in events)
        {
            state.Apply(e with { Meta = new EventMetadata(Minute(minute), "alice", null, null) });
        }

        return state;
    }

    /// <summary>Applies a decision's events: what a won conditional write does to the grain's state.</summary>
    public static LaunchPlanState Then<TResult>(this LaunchPlanState state, int minute, Decision<LaunchPlanEvent, TResult> decision) =>
        state.Then(minute, [.. decision.Events]);

    /// <summary>v1 active since T0 and fired at minute 10 (run <c>v1-10</c>).</summary>
    public static LaunchPlanState FiredAt10() => ActiveSince().Then(10, new LaunchPlanFired("v1", Minute(10), RunId("v1", Minute(10)), false, null));
}
