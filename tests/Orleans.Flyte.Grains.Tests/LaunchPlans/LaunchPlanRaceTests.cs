using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.LaunchPlans;

/// <summary>
/// A split brain on real silos and PostgreSQL: two clusters on one database each hold an activation of the same launch
/// plan. A transition decided on a stale state loses the conditional write, and is decided again on the fresh stream.
/// </summary>
public sealed class LaunchPlanRaceTests : IAsyncLifetime
{
    private static readonly string Key = DefinitionKey.Of("lab", "development", "manual");

    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("lprace");

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_transition_decided_on_a_stale_state_is_decided_again_on_the_fresh_stream()
    {
        await using var a = await FlyteCluster.StartAsync(_database.ConnectionString);
        await using var b = await FlyteCluster.StartAsync(_database.ConnectionString);
        var planA = a.Grains.GetGrain<ILaunchPlanGrain>(Key);
        var planB = b.Grains.GetGrain<ILaunchPlanGrain>(Key);
        await planA.Register(Command());
        (await planB.Get())!.ActiveVersion.Should().BeNull("the second activation has read the stream: v1 inactive");

        (await planA.Activate("v1", "go")).Status.Should().Be(TransitionStatus.Changed);
        var archived = await planB.Archive("v1", "retire");

        archived.Status.Should().Be(TransitionStatus.Changed);
        archived.LaunchPlan!.ActiveVersion.Should().BeNull("the archive stopped the version the other activation had activated");
        var stored = (await Store(a).ReadAsync(new StreamAddress("lab/development", $"launchplan/{Key}"))).Events.Select(e => e.Data).ToList();
        stored.Select(e => e.GetType().Name).Should().Equal(nameof(LaunchPlanVersionRegistered), nameof(LaunchPlanActivated), nameof(LaunchPlanArchived));
        stored.OfType<LaunchPlanArchived>().Single().WasActive.Should().BeTrue("decided again on the stream that holds the activation");
    }

    [Fact]
    public async Task A_stale_activation_asked_for_a_change_that_already_happened_records_nothing()
    {
        await using var a = await FlyteCluster.StartAsync(_database.ConnectionString);
        await using var b = await FlyteCluster.StartAsync(_database.ConnectionString);
        var planA = a.Grains.GetGrain<ILaunchPlanGrain>(Key);
        var planB = b.Grains.GetGrain<ILaunchPlanGrain>(Key);
        await planA.Register(Command());
        await planB.Get();

        await planA.Activate("v1", "first");
        var again = await planB.Activate("v1", "second");

        again.Status.Should().Be(TransitionStatus.Unchanged);
        again.LaunchPlan!.Versions.Single().ChangeReason.Should().Be("first");
        (await Store(a).ReadAsync(new StreamAddress("lab/development", $"launchplan/{Key}"))).Events.Should().HaveCount(2);
    }

    private static IEventStreamStore Store(FlyteCluster cluster) => (IEventStreamStore)cluster.SiloServices.GetService(typeof(IEventStreamStore))!;

    private static RegisterLaunchPlan Command()
    {
        var task = TaskSpecReader.Read(SpecDocument.Parse("""
            name: noop
            version: v1
            container: { image: local, command: [sh, -c, "true"] }
            inputs: {}
            outputs: {}
            """).Value!).Value!;
        var workflow = WorkflowSpecReader.Read(SpecDocument.Parse("""
            name: job
            version: v1
            nodes:
              - { id: run, task: noop@v1 }
            """).Value!).Value!;
        var launchPlan = LaunchPlanSpecReader.Read(SpecDocument.Parse("""
            name: manual
            version: v1
            workflow: job@v1
            """).Value!).Value!;
        var taskSpec = CanonicalJson.Serialize(task.ToJson());
        var plan = ExecutionPlanCompiler.Compile(workflow, new Dictionary<string, string> { ["noop@v1"] = "noop@v1" }, _ => taskSpec);
        var canonical = CanonicalJson.Serialize(launchPlan.ToJson());
        return new RegisterLaunchPlan("v1", canonical, CanonicalJson.Sha256(canonical), "job@v1", CanonicalJson.Serialize(workflow.ToJson()), plan);
    }
}
