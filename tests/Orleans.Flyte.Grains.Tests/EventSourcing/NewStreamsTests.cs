using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.EventSourcing;

/// <summary>
/// A grain told its stream is new skips the read on activation (issue 15); the hint may be wrong (a repeated call, a
/// split brain), and then the grain's first, conditional write must fail, re-read and record nothing twice.
/// </summary>
public sealed class NewStreamsTests : IAsyncLifetime
{
    private const string Project = "lab";
    private const string Domain = "development";
    private TestDatabase _database = null!;
    private FlyteCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("newstreams");
        _cluster = await FlyteCluster.StartAsync(_database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task An_execution_told_its_streams_are_new_runs_to_the_end_with_chains_that_verify()
    {
        var id = ExecutionIds.New();
        var outcome = await NewStreams.Call(Execution(id), g => g.Create(Command("true")));
        outcome.Status.Should().Be(CreateStatus.Created);

        await Eventually.Until(async () => (await Execution(id).Get())!.Phase == WorkflowPhase.Succeeded, "the execution to succeed", TimeSpan.FromSeconds(60));
        foreach (var key in new[] { $"execution/{id}", $"execution/{id}/first", $"execution/{id}/second" })
        {
            var verification = await StreamVerifier.VerifyAsync(Store, new StreamAddress(StreamAddress.TenantOf(Project, Domain), key));
            verification.IsIntact.Should().BeTrue(verification.Problem);
            verification.Events.Should().BePositive();
        }
    }

    [Fact]
    public async Task A_submission_writes_its_first_step_in_the_commit_that_accepts_it()
    {
        var id = ExecutionIds.New();
        var outcome = await NewStreams.Call(Execution(id), g => g.Create(Command("sleep 30")));
        outcome.Status.Should().Be(CreateStatus.Created);

        // Answered only once durable: the start and the first node are stored by then, in the same transaction as the
        // acceptance (PostgreSQL stamps every row of one transaction with the same time), and the second node waits.
        var rows = await StoredRows($"execution/{id}");
        rows.Take(3).Select(r => r.Type).Should().Equal("execution_accepted", "execution_started", "node_ready");
        rows.Take(3).Select(r => r.Timestamp).Distinct().Should().ContainSingle("the first step was committed with the acceptance");
        var events = await Events($"execution/{id}");
        events.OfType<NodeReady>().Should().ContainSingle().Which.NodeId.Should().Be("first");
        events.Take(3).Select(e => e.Meta.At).Distinct().Should().ContainSingle("the step keeps the time it was decided at");
        await Eventually.Until(async () => (await _cluster.Grains.GetGrain<ITaskExecutionGrain>(ExecutionKeys.Task(Project, Domain, id, "first")).Get())?.Phase == TaskPhase.Running,
            "the first node to be started after the answer", TimeSpan.FromSeconds(60));
        await Execution(id).Abort("test over");
    }

    [Fact]
    public async Task A_create_wrongly_told_its_stream_is_new_finds_the_execution_and_records_nothing()
    {
        var id = ExecutionIds.New();
        var command = Command("sleep 30");
        (await Execution(id).Create(command)).Status.Should().Be(CreateStatus.Created);
        await _cluster.Cluster.DeactivateAsync(Execution(id));

        using var conflicts = new ConflictCount(_cluster.SiloServices);
        var again = await NewStreams.Call(Execution(id), g => g.Create(command));

        conflicts.Count.Should().BePositive("the grain took the hint, skipped its read and lost its first write");
        again.Status.Should().Be(CreateStatus.AlreadyExists);
        (await Events($"execution/{id}")).OfType<ExecutionAccepted>().Should().ContainSingle();
        await Execution(id).Abort("test over");
    }

    [Fact]
    public async Task A_task_start_wrongly_told_its_stream_is_new_records_nothing_twice()
    {
        var id = ExecutionIds.New();
        var command = Command("sleep 30");
        await Execution(id).Create(command);
        var task = _cluster.Grains.GetGrain<ITaskExecutionGrain>(ExecutionKeys.Task(Project, Domain, id, "first"));
        await Eventually.Until(async () => (await task.Get())?.Phase == TaskPhase.Running, "the first task to run", TimeSpan.FromSeconds(60));
        await _cluster.Cluster.DeactivateAsync(task);

        var node = command.Plan.Nodes[0];
        using var conflicts = new ConflictCount(_cluster.SiloServices);
        await NewStreams.Call(task, t => t.Start(new StartTask(id, "first", Project, Domain, node.Task, node.TaskSpec, "{}", false, 0)));

        conflicts.Count.Should().BePositive("the grain took the hint, skipped its read and lost its first write");
        var events = await Events($"execution/{id}/first");
        events.OfType<TaskQueued>().Should().ContainSingle();
        events.OfType<AttemptLaunched>().Should().ContainSingle("the repeated start must not launch a second attempt");
        (await task.Get())!.Phase.Should().Be(TaskPhase.Running);
        await Execution(id).Abort("test over");
    }

    private IEventStreamStore Store => _cluster.SiloServices.GetRequiredService<IEventStreamStore>();

    private IWorkflowExecutionGrain Execution(string id) =>
        _cluster.Grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(Project, Domain, id));

    private async Task<List<DomainEvent>> Events(string key) =>
        [.. (await Store.ReadAsync(new StreamAddress(StreamAddress.TenantOf(Project, Domain), key))).Events.Select(e => e.Data)];

    /// <summary>The rows of a stream as PostgreSQL stored them: event type and transaction time, in version order.</summary>
    private async Task<List<(string Type, DateTime Timestamp)>> StoredRows(string key)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select type, timestamp from flyte.mt_events where tenant_id = @tenant and stream_id = @key order by version", connection);
        command.Parameters.AddWithValue("tenant", StreamAddress.TenantOf(Project, Domain));
        command.Parameters.AddWithValue("key", key);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, DateTime)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetDateTime(1)));
        }

        return rows;
    }

    /// <summary>Two nodes, one after the other, each running <paramref name="script"/>.</summary>
    private static CreateExecution Command(string script)
    {
        var task = TaskSpecReader.Read(SpecDocument.Parse($$"""
            name: step
            version: v1
            container: { image: local, command: [sh, -c, {{JsonValue.Create(script + "; echo {} > \"$FLYTE_OUTPUTS\"").ToJsonString()}}] }
            """).Value!).Value!;
        var workflow = WorkflowSpecReader.Read(SpecDocument.Parse("""
            name: two
            version: v1
            nodes:
              - { id: first, task: step@v1 }
              - { id: second, task: step@v1, after: [first] }
            """).Value!).Value!;
        var spec = CanonicalJson.Serialize(task.ToJson());
        var plan = ExecutionPlanCompiler.Compile(workflow, new Dictionary<string, string> { ["step@v1"] = "step@v1" }, _ => spec);
        return new CreateExecution(Project, Domain, plan, "{}", null, false, null, null, new Dictionary<string, string>(), null, null);
    }

    /// <summary>Counts the event store's version conflicts in this cluster's silo (its meter, not another test's).</summary>
    private sealed class ConflictCount : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public ConflictCount(IServiceProvider silo)
        {
            var meters = silo.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "flyte_event_store_append_conflicts_total" && ReferenceEquals(instrument.Meter.Scope, meters))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
