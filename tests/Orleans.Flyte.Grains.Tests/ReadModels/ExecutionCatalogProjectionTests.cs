using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Grains.Executions;
using static Orleans.Flyte.Grains.Tests.ReadModels.ReadModelStore;

namespace Orleans.Flyte.Grains.Tests.ReadModels;

/// <summary>Execution streams in, <see cref="ExecutionSummaryDocument"/>s out, on real PostgreSQL.</summary>
public sealed class ExecutionCatalogProjectionTests(ReadModelStore store) : IClassFixture<ReadModelStore>
{
    private IExecutionCatalog Catalog => store.Services.GetRequiredService<IExecutionCatalog>();

    [Fact]
    public async Task Each_execution_stream_becomes_one_summary_keyed_by_its_id_in_whichever_tenant_it_lives()
    {
        var (quant, vision) = (Scope("quant"), Scope("vision"));
        var (a, b) = (NewId(), NewId());

        await store.Append(Execution(quant, a), At(Accepted(quant, a, "train-alpha", "v3"), 0, "alice@example.com"));
        await store.Append(Execution(vision, b), At(Accepted(vision, b, "segment", "v1") with { LaunchPlan = "nightly@v2", ScheduledAt = T0 }, 1, "system:scheduler"));

        var first = await store.Load<ExecutionSummaryDocument>(a);
        first.Should().BeEquivalentTo(new
        {
            Id = a, quant.Project, quant.Domain, Workflow = "train-alpha", WorkflowVersion = "v3", Phase = WorkflowPhase.Queued,
            CreatedAt = T0, CreatedBy = "alice@example.com", LaunchPlan = (string?)null,
        });
        var second = await store.Load<ExecutionSummaryDocument>(b);
        second!.Project.Should().Be(vision.Project);
        second.LaunchPlan.Should().Be("nightly@v2");
        second.ScheduledAt.Should().Be(T0);
        (await List(quant)).Select(e => e.Id).Should().Equal(a);
        (await List(vision)).Select(e => e.Id).Should().Equal(b);
    }

    [Fact]
    public async Task Task_streams_of_an_execution_in_the_same_tenant_never_become_executions()
    {
        var scope = Scope("quant");
        var id = NewId();
        await store.Append(Execution(scope, id), At(Accepted(scope, id, "train-alpha", "v3"), 0));

        var task = new StreamAddress(scope.Tenant, $"execution/{id}/train");
        await store.Append(task,
            At(new TaskQueued(id, "train", scope.Project, scope.Domain, "train-model@v1", "{}", "{}", null, false), 1),
            At(new AttemptLaunched(1, $"{scope.Project}.{scope.Domain}.{id}.train.1"), 1));
        await store.Append(task, At(new AttemptSucceeded(1, "{}"), 2));

        (await store.Load<ExecutionSummaryDocument>($"{id}/train")).Should().BeNull();
        (await List(scope)).Should().ContainSingle().Which.Id.Should().Be(id);
        (await store.Load<ExecutionSummaryDocument>(id))!.Phase.Should().Be(WorkflowPhase.Queued, "task events do not move the workflow's phase");
    }

    [Fact]
    public async Task The_summary_follows_the_execution_through_failing_to_its_terminal_phase()
    {
        var scope = Scope("quant");
        var id = NewId();
        await store.Append(Execution(scope, id), At(Accepted(scope, id, "train-alpha", "v3"), 0));
        await store.Append(Execution(scope, id), At(new ExecutionStarted(), 1), At(new NodeReady("prepare", "{}"), 1));
        await store.Append(Execution(scope, id), At(new ExecutionFailing("prepare failed"), 5));
        await store.Append(Execution(scope, id), At(new ExecutionFailed("prepare failed: exit code 2"), 6));

        var summary = await store.Load<ExecutionSummaryDocument>(id);

        summary.Should().BeEquivalentTo(new
        {
            Phase = WorkflowPhase.Failed, StartedAt = T0.AddMinutes(1), FinishedAt = T0.AddMinutes(6), Error = "prepare failed: exit code 2",
        });
    }

    [Fact]
    public async Task One_commit_across_two_tenants_with_a_task_stream_projects_exactly_its_executions()
    {
        var (quant, vision) = (Scope("quant"), Scope("vision"));
        var (a, b, c) = (NewId(), NewId(), NewId());

        await store.StartTogether(
            (Execution(quant, a), [At(Accepted(quant, a, "train-alpha", "v3"), 0), At(new ExecutionStarted(), 0)]),
            (new StreamAddress(quant.Tenant, $"execution/{a}/prepare"), [At(new TaskQueued(a, "prepare", quant.Project, quant.Domain, "prepare@v1", "{}", "{}", null, false), 0)]),
            (Execution(quant, b), [At(Accepted(quant, b, "train-alpha", "v3"), 0)]),
            (Execution(vision, c), [At(Accepted(vision, c, "segment", "v1"), 0), At(new ExecutionStarted(), 0)]));

        (await List(quant)).Select(e => (e.Id, e.Phase)).Should().BeEquivalentTo([(a, WorkflowPhase.Running), (b, WorkflowPhase.Queued)]);
        (await List(vision)).Select(e => (e.Id, e.Phase)).Should().Equal((c, WorkflowPhase.Running));
        (await store.Load<ExecutionSummaryDocument>($"{a}/prepare")).Should().BeNull();
    }

    [Fact]
    public async Task Events_of_an_execution_whose_acceptance_was_never_projected_create_nothing()
    {
        var scope = Scope("quant");
        var id = NewId();

        await store.Append(Execution(scope, id), At(new ExecutionStarted(), 0), At(new ExecutionAborted("gone"), 1));

        (await store.Load<ExecutionSummaryDocument>(id)).Should().BeNull();
    }

    private async Task<IReadOnlyList<ExecutionEntry>> List((string Project, string Domain, string Tenant) scope) =>
        (await Catalog.ListAsync(new ExecutionQuery(scope.Project, scope.Domain, Limit: 100))).Items;

    /// <summary>A project of its own per test, so tests sharing the database never see each other's executions.</summary>
    private static (string Project, string Domain, string Tenant) Scope(string name)
    {
        var project = $"{name}-{Guid.NewGuid().ToString("N")[..6]}";
        return (project, "development", StreamAddress.TenantOf(project, "development"));
    }

    private static string NewId() => Guid.NewGuid().ToString("N")[..20];

    private static StreamAddress Execution((string Project, string Domain, string Tenant) scope, string id) => new(scope.Tenant, $"execution/{id}");

    private static ExecutionAccepted Accepted((string Project, string Domain, string Tenant) scope, string id, string workflow, string version) => new(
        id, scope.Project, scope.Domain,
        new ExecutionPlan(workflow, version, false, null, [], new Dictionary<string, string>()),
        "{}", "hash", null, false, null, null, null, null, new Dictionary<string, string>());
}
