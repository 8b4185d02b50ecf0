using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Abstractions.Submissions;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.Gpus;
using Orleans.Flyte.Grains.Runners.Local;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Submissions;

/// <summary>
/// The submission use case on a real cluster and event store, without HTTP: what the executions API, launch plan
/// registration and the launch plan grain all rely on. The inventory is one node with two whole A100s.
/// </summary>
public sealed class ExecutionSubmissionsTests(SubmissionsFixture fixture) : IClassFixture<SubmissionsFixture>
{
    private const string Project = "lab";
    private const string Domain = "development";

    private IExecutionSubmissions Submissions => fixture.Cluster.SiloServices.GetRequiredService<IExecutionSubmissions>();

    private IGrainFactory Grains => fixture.Cluster.Grains;

    [Fact]
    public async Task A_bare_workflow_name_resolves_to_its_latest_version_with_the_exact_specs_of_the_tasks_it_pinned()
    {
        var task = await RegisterTask("resolve-task", "v1");
        await RegisterTask("resolve-task", "v2", script: "exit 1");
        await RegisterWorkflow("resolve", "v1", "resolve-task@v1");
        await RegisterWorkflow("resolve", "v2", "resolve-task@v1", inputs: "{ x: { type: int, default: 7 } }");

        var resolved = await Submissions.ResolveAsync(Project, Domain, TaskReference.Parse("resolve"));

        resolved!.Pinned.Should().Be("resolve@v2");
        resolved.Plan.Nodes.Single().Task.Should().Be("resolve-task@v1", "the workflow pinned v1 although v2 exists now");
        resolved.Plan.Nodes.Single().TaskSpec.Should().Be(task);
        (await Submissions.ResolveAsync(Project, Domain, TaskReference.Parse("resolve@v9"))).Should().BeNull();
        (await Submissions.ResolveAsync(Project, Domain, TaskReference.Parse("Not_A_Name"))).Should().BeNull();
    }

    [Fact]
    public async Task A_submission_binds_defaults_and_is_created_once_per_idempotency_key()
    {
        await RegisterTask("bind-task", "v1");
        await RegisterWorkflow("bind", "v1", "bind-task@v1", inputs: "{ x: { type: int, default: 7 } }");
        var submission = new SubmitExecution(Project, Domain, new SubmissionSource.FromWorkflow("bind@v1", null, Priority: 5)) { IdempotencyKey = "bind-1" };

        var first = await Submissions.SubmitAsync(submission);
        var again = await Submissions.SubmitAsync(submission);
        var other = await Submissions.SubmitAsync(submission with { Source = new SubmissionSource.FromWorkflow("bind@v1", new JsonObject { ["x"] = 8 }) });

        var accepted = first.Should().BeOfType<SubmissionResult.Accepted>().Subject;
        accepted.Created.Should().BeTrue();
        accepted.Execution.ExecutionId.Should().Be(ExecutionIds.FromIdempotencyKey(Project, Domain, "bind-1"));
        JsonNode.Parse(accepted.Execution.InputsJson!)!["x"]!.GetValue<int>().Should().Be(7, "the workflow's default");
        var stored = (await Grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(Project, Domain, accepted.Execution.ExecutionId)).GetSubmission())!;
        stored.IdempotencyKey.Should().Be("bind-1");
        stored.Priority.Should().Be(5);
        again.Should().BeOfType<SubmissionResult.Accepted>().Which.Created.Should().BeFalse("the same key and content find the first execution");
        other.Should().BeOfType<SubmissionResult.Conflict>().Which.ExecutionId.Should().Be(accepted.Execution.ExecutionId);
    }

    [Theory]
    [InlineData(null, null, null, "/workflow")]
    [InlineData("invalid-missing@v1", null, null, "/workflow")]
    [InlineData("invalid@v1", null, 101, "/priority")]
    [InlineData("invalid@v1", """{"x": "seven"}""", null, "/inputs/x")]
    [InlineData("invalid@v1", """{"y": 1}""", null, "/inputs/y")]
    public async Task A_bad_submission_is_invalid_with_a_pointer_and_creates_nothing(string? workflow, string? inputs, int? priority, string pointer)
    {
        await RegisterTask("invalid-task", "v1");
        await RegisterWorkflow("invalid", "v1", "invalid-task@v1", inputs: "{ x: int }");
        var id = ExecutionIds.New();

        var result = await Submissions.SubmitAsync(new SubmitExecution(Project, Domain,
            new SubmissionSource.FromWorkflow(workflow, inputs is null ? null : JsonNode.Parse(inputs)!.AsObject(), Priority: priority)) { ExecutionId = id });

        var invalid = result.Should().BeOfType<SubmissionResult.Invalid>().Subject;
        invalid.Title.Should().Be("The submission is not valid.");
        invalid.Errors.Select(e => e.Pointer).Should().Contain(pointer);
        (await Grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(Project, Domain, id)).Get()).Should().BeNull();
    }

    [Fact]
    public async Task A_gpu_request_no_node_could_ever_serve_is_refused_with_the_inventory_but_a_launch_plan_run_is_created_and_waits()
    {
        await RegisterTask("mig-task", "v1", resources: "resources: { gpu: { profile: mig-3g.20gb } }");
        await RegisterWorkflow("mig", "v1", "mig-task@v1");
        var plan = (await Submissions.ResolveAsync(Project, Domain, TaskReference.Parse("mig@v1")))!.Plan;
        var refusedId = ExecutionIds.New();

        var errors = await Submissions.CheckGpusAsync(plan);
        var refused = await Submissions.SubmitAsync(new SubmitExecution(Project, Domain, new SubmissionSource.FromWorkflow("mig@v1", null)) { ExecutionId = refusedId });
        var scheduled = await Submissions.SubmitAsync(new SubmitExecution(Project, Domain,
            new SubmissionSource.FromLaunchPlan("nightly@v1", plan, "{}", new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero))) { ExecutionId = ExecutionIds.New() });

        const string Expected = "node 'only' (task mig-task@v1): 1 × mig-3g.20gb can never be granted: no node has a mig-3g.20gb. The inventory has node-a: 2 × a100-40gb";
        errors.Should().ContainSingle().Which.Should().Be(new SpecError("/workflow/nodes/only/resources/gpu", Expected));
        var invalid = refused.Should().BeOfType<SubmissionResult.Invalid>().Subject;
        invalid.Title.Should().Be("The submission asks for GPUs no node has.");
        invalid.Errors.Should().Equal(errors);
        (await Grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(Project, Domain, refusedId)).Get()).Should().BeNull();

        // A decided fire is created whatever the inventory says now; its task waits, saying why.
        var run = scheduled.Should().BeOfType<SubmissionResult.Accepted>().Subject.Execution;
        run.LaunchPlan.Should().Be("nightly@v1");
        var task = Grains.GetGrain<ITaskExecutionGrain>(ExecutionKeys.Task(Project, Domain, run.ExecutionId, "only"));
        await Eventually.Until(async () => (await task.Get())?.Waiting?.Code == "no-such-resource",
            $"the task of {run.ExecutionId} to wait for a slice no node has", TimeSpan.FromSeconds(30));
        await Grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(Project, Domain, run.ExecutionId)).Abort("test over");
    }

    [Fact]
    public async Task Relaunch_of_an_unknown_execution_is_not_found_and_recover_of_a_running_one_is_a_conflict()
    {
        await RegisterTask("long-task", "v1", script: "sleep 60");
        await RegisterWorkflow("long", "v1", "long-task@v1");
        var running = (SubmissionResult.Accepted)await Submissions.SubmitAsync(new SubmitExecution(Project, Domain, new SubmissionSource.FromWorkflow("long", null)));
        var id = running.Execution.ExecutionId;

        var unknown = await Submissions.SubmitAsync(new SubmitExecution(Project, Domain, new SubmissionSource.FromExecution("enosuchexecution0000", Recover: false)));
        var recover = await Submissions.SubmitAsync(new SubmitExecution(Project, Domain, new SubmissionSource.FromExecution(id, Recover: true)));
        var relaunch = await Submissions.SubmitAsync(new SubmitExecution(Project, Domain, new SubmissionSource.FromExecution(id, Recover: false)));

        unknown.Should().BeOfType<SubmissionResult.NotFound>().Which.Message.Should().Be("Execution 'enosuchexecution0000' does not exist in lab/development.");
        recover.Should().BeOfType<SubmissionResult.Conflict>().Which.Message.Should().StartWith($"Execution {id} is still ");
        var copy = relaunch.Should().BeOfType<SubmissionResult.Accepted>().Subject.Execution;
        copy.RelaunchOf.Should().Be(id);
        copy.ExecutionId.Should().NotBe(id);
        await Task.WhenAll(new[] { id, copy.ExecutionId }.Select(e =>
            Grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(Project, Domain, e)).Abort("test over")));
    }

    /// <summary>Registers a task through its grain (as the API would after validating it); returns its canonical spec.</summary>
    private async Task<string> RegisterTask(string name, string version, string script = "true", string resources = "")
    {
        var spec = TaskSpecReader.Read(SpecDocument.Parse($$"""
            name: {{name}}
            version: {{version}}
            container: { image: local, command: [sh, -c, "{{script}}"] }
            {{resources}}
            """).Value!).Value!;
        var canonical = CanonicalJson.Serialize(spec.ToJson());
        await Grains.GetGrain<ITaskDefinitionGrain>(DefinitionKey.Of(Project, Domain, name))
            .Register(new RegisterDefinition(version, canonical, CanonicalJson.Sha256(canonical), new Dictionary<string, string>()));
        return canonical;
    }

    private async Task RegisterWorkflow(string name, string version, string task, string inputs = "{}")
    {
        var spec = WorkflowSpecReader.Read(SpecDocument.Parse($$"""
            name: {{name}}
            version: {{version}}
            inputs: {{inputs}}
            nodes: [ { id: only, task: {{task}} } ]
            """).Value!).Value!;
        var canonical = CanonicalJson.Serialize(spec.ToJson());
        await Grains.GetGrain<IWorkflowDefinitionGrain>(DefinitionKey.Of(Project, Domain, name))
            .Register(new RegisterDefinition(version, canonical, CanonicalJson.Sha256(canonical), new Dictionary<string, string> { [task] = task }));
    }
}

/// <summary>One database and one cluster for the class; each test uses names and ids of its own.</summary>
public sealed class SubmissionsFixture : IAsyncLifetime
{
    private readonly string _workRoot = Directory.CreateTempSubdirectory("flyte-submissions-").FullName;
    private TestDatabase _database = null!;

    public FlyteCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("submissions");
        Cluster = await FlyteCluster.StartAsync(_database.ConnectionString, configureServices: services =>
        {
            services.Configure<LocalProcessRunnerOptions>(o => o.WorkRoot = _workRoot);
            services.Configure<GpuOptions>(o => o.Nodes = [new GpuNodeOptions { Name = "node-a", Gpus = ["whole", "whole"] }]);
        });
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_workRoot, recursive: true);
    }
}
