using System.Text.Json.Nodes;
using FluentAssertions;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Configuration;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.Executions;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Executions;

/// <summary>
/// Durable supervision without a reminder per execution: accepting submissions writes only the supervisor shards'
/// reminders, and executions left active when a whole cluster went away are brought back by a later cluster's
/// supervisor ticks alone (nothing calls their grains), through the execution read model.
/// </summary>
public sealed class ExecutionSupervisorTests : IAsyncLifetime
{
    private readonly string _serviceId = "supervise-" + Guid.NewGuid().ToString("N")[..8];
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("supervise");

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Accepting_executions_writes_no_reminder_per_execution_only_one_per_supervisor_shard()
    {
        await using var cluster = await Start();
        var ids = Enumerable.Range(0, 24).Select(_ => ExecutionIds.New()).ToList();
        var outcomes = await Task.WhenAll(ids.Select(id => Grain(cluster, id).Create(Command("sleep 30"))));
        outcomes.Should().OnlyContain(o => o.Status == CreateStatus.Created);

        var reminders = await Reminders();
        reminders.Should().NotContain(r => r.Name == "drive", "an execution holds no reminder of its own");
        reminders.Should().OnlyContain(r => r.Name == "supervise");
        reminders.Select(r => r.Grain).Should().OnlyHaveUniqueItems()
            .And.HaveCount(ids.Select(IExecutionSupervisorGrain.ShardOf).Distinct().Count(), "each shard that accepted an execution is remembered once");

        // Every active execution is in exactly one shard's sweep.
        var swept = await Task.WhenAll(Enumerable.Range(0, IExecutionSupervisorGrain.Shards)
            .Select(shard => cluster.Grains.GetGrain<IExecutionSupervisorGrain>(shard).Sweep()));
        swept.Sum().Should().Be(ids.Count);
        await Task.WhenAll(ids.Select(id => Grain(cluster, id).Abort("test over")));
    }

    [Fact]
    public async Task Executions_left_active_by_a_cluster_that_went_away_are_resumed_by_the_supervisor_alone()
    {
        var ids = Enumerable.Range(0, 6).Select(_ => ExecutionIds.New()).ToList();
        await using (var first = await Start())
        {
            await Task.WhenAll(ids.Select(id => Grain(first, id).Create(Command("sleep 2"))));
        }

        // A new cluster with the same service id: only the supervisor's reminders can bring the executions back, since
        // the test watches the read model and never calls an execution's grain.
        await using var second = await Start();
        var store = second.SiloServices.GetRequiredService<IDocumentStore>();
        await Eventually.Until(
            async () =>
            {
                await using var session = store.QuerySession();
                var phases = await session.Query<ExecutionSummaryDocument>().Where(d => ids.Contains(d.Id)).Select(d => d.Phase).ToListAsync();
                return phases.Count == ids.Count && phases.All(p => p == WorkflowPhase.Succeeded);
            },
            "every execution to succeed",
            TimeSpan.FromSeconds(90));
    }

    private Task<FlyteCluster> Start() => FlyteCluster.StartAsync(
        _database.ConnectionString,
        serviceId: _serviceId,
        configureServices: services => services.Configure<ExecutionEngineOptions>(o =>
        {
            o.ReminderPeriod = TimeSpan.FromSeconds(1);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
        }),
        configureSilo: silo => silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1)));

    private static IWorkflowExecutionGrain Grain(FlyteCluster cluster, string id) =>
        cluster.Grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("lab", "development", id));

    private async Task<List<(string Grain, string Name)>> Reminders()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select grain_id, reminder_name from orleans.reminders where service_id = $1", connection);
        command.Parameters.AddWithValue(_serviceId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1)));
        }

        return rows;
    }

    private static CreateExecution Command(string script)
    {
        var task = TaskSpecReader.Read(SpecDocument.Parse($$"""
            name: step
            version: v1
            container: { image: local, command: [sh, -c, {{JsonValue.Create(script + "; echo {} > \"$FLYTE_OUTPUTS\"").ToJsonString()}}] }
            retries: 3
            """).Value!).Value!;
        var workflow = WorkflowSpecReader.Read(SpecDocument.Parse("""
            name: one
            version: v1
            nodes:
              - { id: only, task: step@v1 }
            """).Value!).Value!;
        var spec = CanonicalJson.Serialize(task.ToJson());
        var plan = ExecutionPlanCompiler.Compile(workflow, new Dictionary<string, string> { ["step@v1"] = "step@v1" }, _ => spec);
        return new CreateExecution("lab", "development", plan, "{}", null, false, null, null, new Dictionary<string, string>(), null, null);
    }
}
