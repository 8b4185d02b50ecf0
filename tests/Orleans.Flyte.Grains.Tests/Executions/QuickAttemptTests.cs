using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Executions;

/// <summary>
/// A task can end before anyone hears that it runs: the runner's answer to the launch is already final and no "running"
/// report comes. The attempt's start is still recorded, from the final status, so the run says when it ran.
/// </summary>
public sealed class QuickAttemptTests : IAsyncLifetime
{
    private const string Project = "lab";
    private const string Domain = "development";
    private static readonly DateTimeOffset s_started = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private TestDatabase _database = null!;
    private FlyteCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("quick");
        _cluster = await FlyteCluster.StartAsync(_database.ConnectionString, configureServices: s => s.AddSingleton<ITaskRunner, EndedAtLaunchRunner>());
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task An_attempt_whose_launch_answer_is_already_final_still_records_when_it_started()
    {
        var id = ExecutionIds.New();
        var execution = _cluster.Grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(Project, Domain, id));
        (await NewStreams.Call(execution, g => g.Create(Command()))).Status.Should().Be(CreateStatus.Created);

        await Eventually.Until(async () => (await execution.Get())!.Phase == WorkflowPhase.Succeeded, "the execution to succeed", TimeSpan.FromSeconds(60));

        var task = (await _cluster.Grains.GetGrain<ITaskExecutionGrain>(ExecutionKeys.Task(Project, Domain, id, "only")).Get())!;
        var attempt = task.Attempts.Should().ContainSingle().Subject;
        attempt.Outcome.Should().Be("Succeeded");
        attempt.StartedAt.Should().Be(s_started, "the final status carries the start the runner saw");
        attempt.FinishedAt.Should().NotBeNull();
    }

    private static CreateExecution Command()
    {
        var task = TaskSpecReader.Read(SpecDocument.Parse("""
            name: quick
            version: v1
            container: { image: local, command: [true] }
            """).Value!).Value!;
        var workflow = WorkflowSpecReader.Read(SpecDocument.Parse("""
            name: one
            version: v1
            nodes:
              - { id: only, task: quick@v1 }
            """).Value!).Value!;
        var spec = CanonicalJson.Serialize(task.ToJson());
        var plan = ExecutionPlanCompiler.Compile(workflow, new Dictionary<string, string> { ["quick@v1"] = "quick@v1" }, _ => spec);
        return new CreateExecution(Project, Domain, plan, "{}", null, false, null, null, new Dictionary<string, string>(), null, null);
    }

    /// <summary>Answers every launch with the attempt already succeeded and never reports it running.</summary>
    private sealed class EndedAtLaunchRunner : ITaskRunner
    {
        public Task<AttemptStatus> LaunchAsync(AttemptLaunch launch, CancellationToken cancellationToken = default) => Ended(launch.AttemptId);

        public Task<AttemptStatus> GetStatusAsync(string attemptId, CancellationToken cancellationToken = default) => Ended(attemptId);

        public Task TerminateAsync(string attemptId, string reason, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<AttemptLogs?> GetLogsAsync(string attemptId, CancellationToken cancellationToken = default) => Task.FromResult<AttemptLogs?>(null);

        private static Task<AttemptStatus> Ended(string attemptId) => Task.FromResult(new AttemptStatus(
            attemptId, AttemptPhase.Succeeded, ExitCode: 0, OutputsJson: new JsonObject().ToJsonString(), StartedAt: s_started, FinishedAt: s_started.AddMilliseconds(5)));
    }
}
