using System.Text.Json.Nodes;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.Clustering;
using Orleans.Flyte.Grains.Executions;
using Orleans.Flyte.Grains.Hosting;
using Orleans.Flyte.Grains.LaunchPlans;
using Orleans.Flyte.Grains.Runners.Local;
using Orleans.Flyte.Grains.Tests.Clustering;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.LaunchPlans;

/// <summary>
/// Two silos (TCP, PostgreSQL membership and reminders) share one database and one test clock. Over six simulated hours
/// of an hourly schedule, both silos poke the launch plan at every instant, and one silo dies halfway: each instant
/// still produces exactly one execution.
/// </summary>
public sealed class TwoSiloScheduleTests : IAsyncLifetime
{
    private const int Hours = 6;
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    private readonly string _clusterId = "lp2-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _workRoot = ScratchDirectories.Create("lp2-work");
    private readonly TestClock _clock = new(T0);
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("lp2");

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_workRoot, recursive: true);
    }

    [Fact]
    public async Task Each_scheduled_instant_produces_exactly_one_execution_across_two_silos_and_a_silo_crash()
    {
        using var first = await StartSilo();
        var second = await StartSilo();
        var key = DefinitionKey.Of("lab", "development", "hourly");
        var plan = first.Services.GetRequiredService<IGrainFactory>().GetGrain<ILaunchPlanGrain>(key);
        (await plan.Register(Command())).Outcome.Should().Be(RegistrationOutcome.Created);
        (await plan.Activate("v1", "start")).Status.Should().Be(TransitionStatus.Changed);
        IHost? replacement = null;

        for (var hour = 1; hour <= Hours; hour++)
        {
            await _clock.StepTo(T0.AddHours(hour), TimeSpan.FromMinutes(1));

            // Every live silo pokes the plan at the instant, on top of its own timer.
            var silos = new[] { first, hour <= 3 ? second : replacement! };
            await Task.WhenAll(silos.SelectMany(s => Enumerable.Range(0, 3).Select(_ => s.Services.GetRequiredService<IGrainFactory>().GetGrain<ILaunchPlanGrain>(key).Tick())));
            var instant = T0.AddHours(hour);
            await Eventually.Until(async () => (await Runs(first)).Any(r => r.ScheduledAt == instant), $"the run of {instant:O}", TimeSpan.FromSeconds(60));

            if (hour == 3)
            {
                second.Dispose(); // no graceful shutdown: whatever it hosted vanishes
                replacement = await StartSilo();
            }
        }

        var runs = await Runs(first);
        runs.Select(r => r.ScheduledAt!.Value).Should().Equal(Enumerable.Range(1, Hours).Select(h => T0.AddHours(h)), "one execution per instant, no more");
        runs.Select(r => r.Id).Should().Equal(Enumerable.Range(1, Hours).Select(h => ScheduledExecutionIds.For("lab", "development", "hourly", "v1", T0.AddHours(h))));
        var view = (await plan.Get())!;
        view.Fired.Should().Be(Hours, "each instant was decided once");
        view.Missed.Should().Be(0);
        await replacement!.StopAsync();
        replacement.Dispose();
        await first.StopAsync();
    }

    /// <summary>
    /// A split brain: two independent clusters on one database each hold an activation of the same launch plan and both
    /// fire its timers on every instant. The conditional write lets exactly one decide each instant.
    /// </summary>
    [Fact]
    public async Task Two_activations_of_one_launch_plan_never_decide_an_instant_twice()
    {
        await using var a = await FlyteCluster.StartAsync(_database.ConnectionString, configureServices: ConfigureSchedules);
        await using var b = await FlyteCluster.StartAsync(_database.ConnectionString, configureServices: ConfigureSchedules);
        var key = DefinitionKey.Of("lab", "development", "hourly");
        var planA = a.Grains.GetGrain<ILaunchPlanGrain>(key);
        var planB = b.Grains.GetGrain<ILaunchPlanGrain>(key);
        await planA.Register(Command());
        await planA.Activate("v1", "start");
        (await planB.Get())!.ActiveVersion.Should().Be("v1", "the second activation reads the same stream");

        for (var hour = 1; hour <= Hours; hour++)
        {
            await _clock.StepTo(T0.AddHours(hour), TimeSpan.FromMinutes(1));

            await Task.WhenAll(planA.Tick(), planB.Tick(), planA.Tick(), planB.Tick());
            var instant = T0.AddHours(hour);
            await Eventually.Until(async () => (await Runs(a.SiloServices)).Any(r => r.ScheduledAt == instant), $"the run of {instant:O}", TimeSpan.FromSeconds(60));
        }

        var runs = await Runs(a.SiloServices);
        runs.Select(r => r.ScheduledAt!.Value).Should().Equal(Enumerable.Range(1, Hours).Select(h => T0.AddHours(h)));
        (await FiredEvents()).Should().Equal(Enumerable.Range(1, Hours).Select(h => T0.AddHours(h)), "each instant was decided by exactly one activation");
    }

    private void ConfigureSchedules(IServiceCollection services)
    {
        _clock.DriveSchedules(services);
        services.Configure<LocalProcessRunnerOptions>(o => o.WorkRoot = _workRoot);
        services.Configure<LaunchPlanOptions>(o => o.PollInterval = TimeSpan.FromSeconds(1));
    }

    private async Task<List<DateTimeOffset>> FiredEvents()
    {
        await using var connection = new Npgsql.NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select coalesce(data->>'scheduledAt', data->>'ScheduledAt')::timestamptz from flyte.mt_events where type = 'launch_plan_fired' order by seq_id", connection);
        var result = new List<DateTimeOffset>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result.Add(new DateTimeOffset(reader.GetDateTime(0).ToUniversalTime(), TimeSpan.Zero));
        }

        return result;
    }

    private static Task<List<ExecutionSummaryDocument>> Runs(IHost silo) => Runs(silo.Services);

    private static async Task<List<ExecutionSummaryDocument>> Runs(IServiceProvider services)
    {
        await using var session = services.GetRequiredService<IDocumentStore>().QuerySession();
        var runs = await session.Query<ExecutionSummaryDocument>().Where(e => e.LaunchPlan == "hourly@v1").ToListAsync();
        return [.. runs.OrderBy(r => r.ScheduledAt)];
    }

    private static RegisterLaunchPlan Command()
    {
        var task = TaskSpecReader.Read(SpecDocument.Parse("""
            name: noop
            version: v1
            container: { image: local, command: [sh, -c, "true"] }
            inputs: { at: datetime }
            outputs: {}
            """).Value!).Value!;
        var workflow = WorkflowSpecReader.Read(SpecDocument.Parse("""
            name: hourly-job
            version: v1
            inputs: { at: datetime }
            nodes:
              - { id: run, task: noop@v1, inputs: { at: "{{ inputs.at }}" } }
            """).Value!).Value!;
        var launchPlan = LaunchPlanSpecReader.Read(SpecDocument.Parse("""
            name: hourly
            version: v1
            workflow: hourly-job@v1
            schedule: { cron: "0 * * * *", kickoffTimeInput: at, overlap: allow }
            """).Value!).Value!;
        LaunchPlanInputs.Validate(launchPlan, workflow).Should().BeEmpty();
        var taskSpec = CanonicalJson.Serialize(task.ToJson());
        var plan = ExecutionPlanCompiler.Compile(workflow, new Dictionary<string, string> { ["noop@v1"] = "noop@v1" }, _ => taskSpec);
        var canonical = CanonicalJson.Serialize(launchPlan.ToJson());
        return new RegisterLaunchPlan("v1", canonical, CanonicalJson.Sha256(canonical), "hourly-job@v1", CanonicalJson.Serialize(workflow.ToJson()), plan);
    }

    private Task<IHost> StartSilo() =>
        PostgresSilo.StartAsync(_database.ConnectionString, _clusterId, _workRoot, services =>
        {
            _clock.DriveSchedules(services);
            services.Configure<ExecutionEngineOptions>(o => o.ReminderPeriod = TimeSpan.FromSeconds(2));
            services.Configure<LaunchPlanOptions>(o =>
            {
                o.ReminderPeriod = TimeSpan.FromSeconds(2);
                o.PollInterval = TimeSpan.FromSeconds(1);
            });
        });
}
