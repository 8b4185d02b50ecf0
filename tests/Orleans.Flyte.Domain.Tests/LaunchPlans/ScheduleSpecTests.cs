using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Tests.LaunchPlans;

public sealed class ScheduleSpecTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Threshold = TimeSpan.FromMinutes(1);

    private static ScheduleSpec Schedule(string yaml)
    {
        var spec = LaunchPlanSpecReader.Read(SpecDocument.Parse($"name: p\nversion: v1\nworkflow: w@v1\nschedule: {yaml}").Value!);
        spec.Errors.Should().BeEmpty();
        return spec.Value!.Schedule!;
    }

    [Fact]
    public void Cron_instants_are_read_in_the_schedules_time_zone_across_a_daylight_saving_change()
    {
        var schedule = Schedule("{ cron: \"0 2 * * *\", timezone: Europe/Berlin }");

        // Berlin moves to summer time on 2026-03-29: 02:00 local is 01:00 UTC before and 00:00 UTC after.
        schedule.NextFires(new DateTimeOffset(2026, 3, 27, 12, 0, 0, TimeSpan.Zero), 3).Should().Equal(
            new DateTimeOffset(2026, 3, 28, 1, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 30, 0, 0, 0, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("\"@hourly\"", 60)]
    [InlineData("\"@daily\"", 24 * 60)]
    [InlineData("\"*/15 * * * *\"", 15)]
    public void Macros_and_five_field_expressions_are_accepted(string cron, int minutes)
    {
        var schedule = Schedule($"{{ cron: {cron} }}");

        schedule.NextFires(T0, 2).Should().Equal(T0.AddMinutes(minutes), T0.AddMinutes(2 * minutes));
    }

    [Fact]
    public void Rate_instants_are_aligned_to_the_epoch_so_every_silo_computes_the_same_ones()
    {
        var schedule = Schedule("{ rate: 10m }");

        schedule.Next(T0.AddMinutes(3).AddSeconds(7)).Should().Be(T0.AddMinutes(10));
        schedule.Next(T0.AddMinutes(10)).Should().Be(T0.AddMinutes(20), "the instant itself is not after itself");
    }

    [Fact]
    public void On_time_instants_fire_and_nothing_is_missed_when_the_clock_is_at_the_instant()
    {
        var decision = Schedule("{ cron: \"* * * * *\", catchUp: none }").Decide(T0, T0.AddMinutes(1), Threshold);

        decision.Fire.Should().Equal(new DueInstant(T0.AddMinutes(1), Late: false));
        decision.Missed.Should().Be(0);
    }

    [Theory]
    [InlineData("none", new int[0], 6)]
    [InlineData("latest", new[] { 70 }, 5)]
    [InlineData("all, maxCatchUp: 3", new[] { 50, 60, 70 }, 3)]
    [InlineData("all", new[] { 20, 30, 40, 50, 60, 70 }, 0)]
    public void Late_instants_follow_the_catch_up_policy(string policy, int[] fired, int missed)
    {
        var decision = Schedule($"{{ cron: \"*/10 * * * *\", catchUp: {policy} }}").Decide(T0.AddMinutes(10), T0.AddMinutes(75), Threshold);

        decision.Fire.Select(f => f.At).Should().Equal(fired.Select(m => T0.AddMinutes(m)));
        decision.Fire.Where(f => !f.Late).Should().BeEmpty();
        decision.Missed.Should().Be(missed);
        if (missed > 0)
        {
            decision.FirstMissed.Should().Be(T0.AddMinutes(20));
        }
    }

    [Theory]
    [InlineData("{ cron: \"61 * * * *\" }", "/schedule/cron")]
    [InlineData("{ cron: \"0 2 * * * *\" }", "/schedule/cron")]
    [InlineData("{ cron: \"0 2 * * *\", timezone: Mars/Olympus }", "/schedule/timezone")]
    [InlineData("{ cron: \"0 2 * * *\", rate: 1h }", "/schedule/rate")]
    [InlineData("{ rate: 30s }", "/schedule/rate")]
    [InlineData("{ rate: 1h, timezone: UTC }", "/schedule/timezone")]
    [InlineData("{ cron: \"@daily\", catchUp: latest, maxCatchUp: 5 }", "/schedule/maxCatchUp")]
    [InlineData("{ cron: \"@daily\", catchUp: all, maxCatchUp: 501 }", "/schedule/maxCatchUp")]
    [InlineData("{ cron: \"@daily\", overlap: queue }", "/schedule/overlap")]
    [InlineData("{ cron: \"@daily\", kickoffTimeInput: Start }", "/schedule/kickoffTimeInput")]
    [InlineData("{ }", "/schedule")]
    public void Bad_schedules_are_reported_at_their_field(string yaml, string pointer)
    {
        var spec = LaunchPlanSpecReader.Read(SpecDocument.Parse($"name: p\nversion: v1\nworkflow: w@v1\nschedule: {yaml}").Value!);

        spec.IsValid.Should().BeFalse();
        spec.Errors.Select(e => e.Pointer).Should().Contain(pointer);
    }

    [Fact]
    public void Inputs_are_composed_from_defaults_overrides_fixed_values_and_the_kickoff_time()
    {
        var workflow = WorkflowSpecReader.Read(SpecDocument.Parse("""
            name: w
            version: v1
            inputs: { day: datetime, epochs: { type: int, default: 1 }, lr: float, region: string }
            nodes: [ { id: a, task: t@v1 } ]
            """).Value!).Value!;
        var plan = LaunchPlanSpecReader.Read(SpecDocument.Parse("""
            name: p
            version: v1
            workflow: w@v1
            inputs: { region: kr }
            defaultInputs: { lr: 0.1 }
            schedule: { cron: "@daily", kickoffTimeInput: day }
            """).Value!).Value!;

        LaunchPlanInputs.Validate(plan, workflow).Should().BeEmpty();
        var scheduled = LaunchPlanInputs.Compose(plan, workflow, null, T0);
        var manual = LaunchPlanInputs.Compose(plan, workflow, new JsonObject { ["lr"] = 0.5, ["epochs"] = 4 }, T0);
        var overridingFixed = LaunchPlanInputs.Compose(plan, workflow, new JsonObject { ["region"] = "us" }, T0);

        scheduled.Value!.ToJsonString().Should().Be("""{"day":"2026-03-02T00:00:00Z","epochs":1,"lr":0.1,"region":"kr"}""");
        manual.Value!["lr"]!.GetValue<double>().Should().Be(0.5);
        manual.Value!["epochs"]!.GetValue<int>().Should().Be(4);
        overridingFixed.Errors.Should().ContainSingle().Which.Pointer.Should().Be("/inputs/region");
    }
}
