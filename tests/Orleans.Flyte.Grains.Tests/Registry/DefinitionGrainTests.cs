using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Registry;

/// <summary>Registry grains on real silos over a real PostgreSQL database.</summary>
public sealed class DefinitionGrainTests : IAsyncLifetime
{
    private const string Key = "quant/development/train-model";
    private static readonly IReadOnlyDictionary<string, string> s_noPins = new Dictionary<string, string>();

    private TestDatabase _database = null!;
    private FlyteCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("registry");
        _cluster = await FlyteCluster.StartAsync(_database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Registering_identical_content_twice_is_an_idempotent_success()
    {
        var grain = _cluster.Grains.GetGrain<ITaskDefinitionGrain>(Key);

        var first = await grain.Register(Command("v1", "content-a"));
        var second = await grain.Register(Command("v1", "content-a"));

        first.Outcome.Should().Be(RegistrationOutcome.Created);
        second.Outcome.Should().Be(RegistrationOutcome.AlreadyRegistered);
        second.Definition.RegisteredAt.Should().Be(first.Definition.RegisteredAt);
        (await grain.ListVersions()).Should().ContainSingle();
    }

    [Fact]
    public async Task Registering_different_content_under_an_existing_version_is_a_conflict_that_keeps_the_original()
    {
        var grain = _cluster.Grains.GetGrain<ITaskDefinitionGrain>(Key);
        await grain.Register(Command("v1", "content-a"));

        var conflict = await grain.Register(Command("v1", "content-b"));

        conflict.Outcome.Should().Be(RegistrationOutcome.Conflict);
        conflict.Definition.Spec.Should().Be(Spec("content-a"));
        (await grain.GetVersion("v1"))!.Spec.Should().Be(Spec("content-a"));
    }

    [Fact]
    public async Task The_latest_version_is_the_most_recently_registered()
    {
        var grain = _cluster.Grains.GetGrain<ITaskDefinitionGrain>(Key);
        await grain.Register(Command("v2", "content-a"));
        await grain.Register(Command("v1", "content-b"));

        (await grain.GetVersion(null))!.Version.Should().Be("v1");
        (await grain.ListVersions()).Select(v => v.Version).Should().Equal("v2", "v1");
        (await grain.GetVersion("v9")).Should().BeNull();
    }

    [Fact]
    public async Task State_is_rebuilt_from_events_after_the_grain_is_deactivated()
    {
        var grain = _cluster.Grains.GetGrain<ITaskDefinitionGrain>(Key);
        await grain.Register(Command("v1", "content-a"));
        await grain.Register(Command("v2", "content-b"));

        await _cluster.Cluster.DeactivateAsync(grain);

        (await grain.ListVersions()).Select(v => v.Version).Should().Equal("v1", "v2");
        (await grain.GetVersion("v2"))!.ContentHash.Should().Be(Hash("content-b"));
    }

    [Fact]
    public async Task State_is_rebuilt_from_events_after_a_full_cluster_restart()
    {
        await _cluster.Grains.GetGrain<IProjectGrain>("quant").Create(new CreateProject("quant", "Quant research", null));
        await _cluster.Grains.GetGrain<ITaskDefinitionGrain>(Key).Register(Command("v1", "content-a"));

        await _cluster.DisposeAsync();
        _cluster = await FlyteCluster.StartAsync(_database.ConnectionString);

        (await _cluster.Grains.GetGrain<IProjectGrain>("quant").Get())!.DisplayName.Should().Be("Quant research");
        (await _cluster.Grains.GetGrain<ITaskDefinitionGrain>(Key).GetVersion("v1"))!.Spec.Should().Be(Spec("content-a"));
    }

    [Fact]
    public async Task Two_activations_of_one_key_racing_on_one_version_produce_exactly_one_winner()
    {
        // Two clusters on one database: the same grain key is active twice, as in a split brain.
        await using var other = await FlyteCluster.StartAsync(_database.ConnectionString);
        var here = _cluster.Grains.GetGrain<ITaskDefinitionGrain>(Key);
        var there = other.Grains.GetGrain<ITaskDefinitionGrain>(Key);
        await Task.WhenAll(here.ListVersions(), there.ListVersions()); // both activations read the empty stream

        var results = await Task.WhenAll(here.Register(Command("v1", "content-a")), there.Register(Command("v1", "content-b")));

        results.Count(r => r.Outcome == RegistrationOutcome.Created).Should().Be(1);
        results.Count(r => r.Outcome == RegistrationOutcome.Conflict).Should().Be(1);
        var stored = await ReadStream();
        stored.Events.Should().ContainSingle();
        results.Single(r => r.Outcome == RegistrationOutcome.Conflict).Definition.ContentHash
            .Should().Be(results.Single(r => r.Outcome == RegistrationOutcome.Created).Definition.ContentHash,
                "the loser re-reads and reports the winner's content");
    }

    [Fact]
    public async Task Two_activations_registering_different_versions_both_succeed_and_nothing_is_lost()
    {
        await using var other = await FlyteCluster.StartAsync(_database.ConnectionString);
        var here = _cluster.Grains.GetGrain<ITaskDefinitionGrain>(Key);
        var there = other.Grains.GetGrain<ITaskDefinitionGrain>(Key);
        await Task.WhenAll(here.ListVersions(), there.ListVersions());

        var results = await Task.WhenAll(here.Register(Command("v1", "content-a")), there.Register(Command("v2", "content-b")));

        results.Should().OnlyContain(r => r.Outcome == RegistrationOutcome.Created);
        var stored = await ReadStream();
        stored.Events.Should().HaveCount(2);
        (await StreamVerifier.VerifyAsync(Store, stored.Stream)).IsIntact.Should().BeTrue();
    }

    [Fact]
    public async Task Events_record_the_principal_and_correlation_id_of_the_caller()
    {
        CallContext.Set("alice@example.com", "req-42");
        try
        {
            await _cluster.Grains.GetGrain<ITaskDefinitionGrain>(Key).Register(Command("v1", "content-a"));
        }
        finally
        {
            RequestContext.Clear();
        }

        var meta = (await ReadStream()).Events.Single().Data.Meta;
        meta.Principal.Should().Be("alice@example.com");
        meta.CorrelationId.Should().Be("req-42");
        meta.At.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
    }

    private IEventStreamStore Store => (IEventStreamStore)_cluster.SiloServices.GetService(typeof(IEventStreamStore))!;

    private Task<StreamSlice> ReadStream() =>
        Store.ReadAsync(new StreamAddress("quant/development", "task/" + Key));

    private static RegisterDefinition Command(string version, string content) =>
        new(version, Spec(content), Hash(content), s_noPins);

    private static string Spec(string content) => $$"""{"content":"{{content}}"}""";

    private static string Hash(string content) => "sha256-" + content;
}
