using System.Net;
using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Grains.LaunchPlans;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests.LaunchPlans;

public sealed class LaunchPlanApiTests : LaunchPlanTestBase
{
    private static readonly bool[] s_createdOnlyForNewInstants = [true, false, false, false, true];

    [Fact]
    public async Task Activating_version_2_stops_version_1_in_the_same_event()
    {
        await Register("train", "cron: \"*/10 * * * *\"", version: "v1");
        await Register("train", "cron: \"5-59/10 * * * *\"", version: "v2");
        await Transition("train", "v1", "activate");
        await StepTo(10, minute => minute == 10 ? WaitForRun("train@v1", Minute(10)) : Task.CompletedTask);

        var switched = await Transition("train", "v2", "activate", reason: "new features");
        await StepTo(40, minute => minute % 10 == 5 ? WaitForRun("train@v2", Minute(minute)) : Task.CompletedTask);

        switched["activeVersion"]!.GetValue<string>().Should().Be("v2");
        switched["versions"]!.AsArray().Select(v => v!["state"]!.GetValue<string>()).Should().Equal("inactive", "active");
        switched["nextFires"]![0]!.GetValue<DateTimeOffset>().Should().Be(Minute(15));
        (await StoredEventCount("launch_plan_activated", "launchplan/lab/development/train")).Should().Be(2);
        (await StoredEventCount("launch_plan_deactivated", "launchplan/lab/development/train")).Should().Be(0, "activation deactivates the previous version in its own event");
        (await Instants("train@v1")).Should().Equal(Minute(10));
        (await Instants("train@v2")).Should().Equal(Minute(15), Minute(25), Minute(35));
        (await Instants("train")).Should().HaveCount(4, "a bare name lists the runs of every version");
    }

    [Fact]
    public async Task Get_shows_the_next_fire_times_in_the_schedules_time_zone_and_scheduled_runs_receive_their_instant()
    {
        await Register("seoul", "cron: \"0 2 * * *\", timezone: Asia/Seoul");
        var active = await Transition("seoul", "v1", "activate");

        active["nextFires"]!.AsArray().Select(n => n!.GetValue<DateTimeOffset>()).Should().Equal(
            Enumerable.Range(0, 5).Select(d => new DateTimeOffset(2026, 3, 2, 17, 0, 0, TimeSpan.Zero).AddDays(d)), "02:00 in Seoul is 17:00 UTC the day before");
        Clock.Set(new DateTimeOffset(2026, 3, 2, 17, 0, 0, TimeSpan.Zero));
        await WaitForRun("seoul", new DateTimeOffset(2026, 3, 2, 17, 0, 0, TimeSpan.Zero));
        var run = (await Runs("seoul")).Single();
        var execution = await Expect(HttpStatusCode.OK, Get($"{Scope}/executions/{run.Id}"));

        run.Id.Should().Be(ScheduledExecutionIds.For("lab", "development", "seoul", "v1", new DateTimeOffset(2026, 3, 2, 17, 0, 0, TimeSpan.Zero)));
        execution["inputs"]!["at"]!.GetValue<string>().Should().Be("2026-03-02T17:00:00Z");
        execution["inputs"]!["epochs"]!.GetValue<int>().Should().Be(3, "the launch plan's default input");
        execution["createdBy"]!.GetValue<string>().Should().Be(LaunchPlanGrain.SchedulerPrincipal);
        execution["launchPlan"]!.GetValue<string>().Should().Be("seoul@v1");
        var filtered = await Expect(HttpStatusCode.OK, Get($"{Scope}/executions?launchPlan=seoul&scheduledAt=2026-03-02T17:00:00Z"));
        filtered["items"]!.AsArray().Should().ContainSingle();
    }

    [Fact]
    public async Task Pause_stops_fires_and_resume_fires_again_from_now_without_catching_up_the_pause()
    {
        await Register("paused", "cron: \"*/10 * * * *\", catchUp: all");
        await Transition("paused", "v1", "activate");
        await Expect(HttpStatusCode.OK, PostJson($"{Scope}/launchplans/paused/pause", new { reason = "maintenance" }));
        await StepTo(35);
        var resumed = await Expect(HttpStatusCode.OK, PostJson($"{Scope}/launchplans/paused/resume", new { reason = "done" }));
        await StepTo(40, minute => minute == 40 ? WaitForRun("paused", Minute(40)) : Task.CompletedTask);

        resumed["nextFires"]![0]!.GetValue<DateTimeOffset>().Should().Be(Minute(40));
        (await Instants("paused")).Should().Equal(Minute(40));
    }

    [Fact]
    public async Task Trigger_launches_now_with_overrides_of_non_fixed_inputs_only_and_backfill_runs_each_instant_once()
    {
        await Register("manual", "cron: \"0 * * * *\"");
        Clock.Set(Minute(5 * 60 + 30));

        var launched = await Expect(HttpStatusCode.Accepted, PostJson($"{Scope}/launchplans/manual/trigger", new { version = "v1", inputs = new { epochs = 9 } }));
        var fixedOverride = await Expect(HttpStatusCode.BadRequest, PostJson($"{Scope}/launchplans/manual/trigger", new { version = "v1", inputs = new { gate = "/tmp" } }));
        var noActive = await Expect(HttpStatusCode.Conflict, PostJson($"{Scope}/launchplans/manual/trigger"));
        var backfill = await Expect(HttpStatusCode.Accepted, PostJson($"{Scope}/launchplans/manual/versions/v1/backfill", new { from = Minute(60), to = Minute(4 * 60) }));
        var again = await Expect(HttpStatusCode.Accepted, PostJson($"{Scope}/launchplans/manual/versions/v1/backfill", new { from = Minute(0), to = Minute(5 * 60) }));
        var tooMany = await Expect(HttpStatusCode.BadRequest, PostJson($"{Scope}/launchplans/manual/versions/v1/backfill", new { from = Minute(-600 * 60), to = Minute(60) }));
        var future = await Expect(HttpStatusCode.BadRequest, PostJson($"{Scope}/launchplans/manual/versions/v1/backfill", new { from = Minute(0), to = Minute(48 * 60) }));

        var id = launched["executions"]![0]!["id"]!.GetValue<string>();
        (await Expect(HttpStatusCode.OK, Get($"{Scope}/executions/{id}")))["inputs"]!["epochs"]!.GetValue<int>().Should().Be(9);
        fixedOverride["errors"]!.AsObject().Should().ContainKey("/inputs/gate");
        noActive["detail"]!.GetValue<string>().Should().Contain("is active").And.Contain("{\"version\": \"v1\"}", "it says how to launch: name the version");
        backfill["executions"]!.AsArray().Select(e => e!["scheduledAt"]!.GetValue<DateTimeOffset>()).Should().Equal(Minute(60), Minute(120), Minute(180));
        again["executions"]!.AsArray().Select(e => e!["created"]!.GetValue<bool>()).Should().Equal(s_createdOnlyForNewInstants,
            "instants 1h-3h already ran: the same id names the same execution");
        tooMany["errors"]!.AsObject().Should().ContainKey("/to");
        future["errors"]!.AsObject().Should().ContainKey("/to");
        (await Runs("manual")).Should().HaveCount(6, "one manual run and one run per hour 0..4");
    }

    [Fact]
    public async Task A_trigger_retried_with_the_same_idempotency_key_finds_the_first_run_instead_of_starting_another()
    {
        await Register("retried", "cron: \"0 * * * *\"");
        Task<HttpResponseMessage> Trigger(string key, int epochs)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{Scope}/launchplans/retried/trigger", UriKind.Relative))
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { version = "v1", inputs = new { epochs } }),
            };
            request.Headers.Add("Idempotency-Key", key);
            return Http.SendAsync(request);
        }

        var first = await Expect(HttpStatusCode.Accepted, Trigger("run-2026-11-29", 9));
        var retry = await Expect(HttpStatusCode.Accepted, Trigger("run-2026-11-29", 9));
        var reused = await Expect(HttpStatusCode.Conflict, Trigger("run-2026-11-29", 12));

        var id = first["executions"]![0]!["id"]!.GetValue<string>();
        first["executions"]![0]!["created"]!.GetValue<bool>().Should().BeTrue();
        retry["executions"]![0]!["id"]!.GetValue<string>().Should().Be(id);
        retry["executions"]![0]!["created"]!.GetValue<bool>().Should().BeFalse();
        reused["detail"]!.GetValue<string>().Should().Contain("already used to launch execution " + id);
        (await Runs("retried")).Should().ContainSingle();
    }

    [Fact]
    public async Task Versions_are_immutable_the_same_content_is_idempotent_and_other_content_is_a_conflict()
    {
        var created = await Register("daily", "cron: \"@daily\"");
        var again = await Expect(HttpStatusCode.OK, Post($"{Scope}/launchplans", """
            { "name": "daily", "version": "v1", "workflow": "nightly@v1", "inputs": { "gate": "/" }, "defaultInputs": { "epochs": 3 },
              "schedule": { "cron": "@daily", "kickoffTimeInput": "at" }, "labels": { "team": "ml" } }
            """, "application/json"));
        var conflict = await Expect(HttpStatusCode.Conflict, Post($"{Scope}/launchplans", """
            name: daily
            version: v1
            workflow: nightly@v1
            inputs: { gate: / }
            schedule: { cron: "@hourly", kickoffTimeInput: at }
            """));

        created["versions"]![0]!["state"]!.GetValue<string>().Should().Be("inactive", "registering never starts a schedule");
        created["versions"]![0]!["spec"]!["workflow"]!.GetValue<string>().Should().Be("nightly@v1");
        again["versions"]!.AsArray().Should().ContainSingle();
        conflict["differences"].Should().NotBeNull();
        var listed = await Expect(HttpStatusCode.OK, Get($"{Scope}/launchplans?state=inactive"));
        listed["items"]![0]!["schedule"]!.GetValue<string>().Should().Be("cron \"@daily\" UTC");
    }

    [Fact]
    public async Task The_documented_example_registers_and_shows_its_next_fires_in_seoul_time()
    {
        static string Example(string file) => File.ReadAllText(Path.Combine(Checkout.Root, "docs", "examples", file));
        await Expect(HttpStatusCode.Created, Post($"{Scope}/tasks", Example("prepare-data.yaml")));
        await Expect(HttpStatusCode.Created, Post($"{Scope}/tasks", Example("train-model.yaml")));
        await Expect(HttpStatusCode.Created, Post($"{Scope}/workflows", Example("train-alpha.yaml")));

        await Expect(HttpStatusCode.Created, Post($"{Scope}/launchplans", Example("nightly-alpha.yaml")));
        var active = await Transition("nightly-alpha", "v1", "activate");

        active["nextFires"]![0]!.GetValue<DateTimeOffset>().Should().Be(new DateTimeOffset(2026, 3, 2, 17, 0, 0, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("schedule: { cron: \"61 * * * *\", kickoffTimeInput: at }", "/schedule/cron")]
    [InlineData("schedule: { cron: \"0 2 * * *\", timezone: Mars/Olympus, kickoffTimeInput: at }", "/schedule/timezone")]
    [InlineData("schedule: { rate: 10s, kickoffTimeInput: at }", "/schedule/rate")]
    [InlineData("schedule: { cron: \"@daily\", kickoffTimeInput: at, catchUp: sometimes }", "/schedule/catchUp")]
    [InlineData("schedule: { cron: \"@daily\", kickoffTimeInput: epochs }", "/schedule/kickoffTimeInput")]
    [InlineData("schedule: { cron: \"@daily\", kickoffTimeInput: missing }", "/schedule/kickoffTimeInput")]
    [InlineData("schedule: { cron: \"@daily\" }", "/schedule")]
    [InlineData("inputs: { learning_rate: 0.1 }", "/inputs/learning_rate")]
    [InlineData("inputs: { epochs: ten }", "/inputs/epochs")]
    [InlineData("workflow: nightly@v9", "/workflow")]
    public async Task Bad_launch_plans_are_400_with_a_pointer_and_store_nothing(string line, string pointer)
    {
        var fields = new Dictionary<string, string>
        {
            ["name"] = "name: bad",
            ["version"] = "version: v1",
            ["workflow"] = "workflow: nightly@v1",
            ["inputs"] = "inputs: { gate: / }",
        };
        fields[line[..line.IndexOf(':', StringComparison.Ordinal)]] = line;
        var before = await StoredEventCount();

        var problem = await Expect(HttpStatusCode.BadRequest, Post($"{Scope}/launchplans", string.Join('\n', fields.Values)));

        problem["errors"]!.AsObject().Should().ContainKey(pointer, problem.ToJsonString());
        (await StoredEventCount()).Should().Be(before);
        (await Get($"{Scope}/launchplans/bad")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
