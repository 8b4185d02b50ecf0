using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Registry;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.EventSourcing;

/// <summary>The event store adapter against a real PostgreSQL database of its own.</summary>
public sealed class MartenEventStreamStoreTests : IAsyncLifetime
{
    private static readonly StreamAddress s_stream = new("quant/development", "task/quant/development/train-model");

    private EventStoreHost _store = null!;

    private IEventStreamStore Store => _store.Services.GetRequiredService<IEventStreamStore>();

    public async Task InitializeAsync() => _store = await EventStoreHost.StartAsync("store");

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Appended_events_read_back_in_order_with_their_versions_and_metadata()
    {
        var first = Registered("v1");
        var second = Registered("v2");

        var result = await Store.AppendAsync(s_stream, 0, EventHashChain.Genesis, [first, second]);

        result.Appended.Should().BeTrue();
        result.Version.Should().Be(2);
        var slice = await Store.ReadAsync(s_stream);
        slice.Events.Select(e => e.Version).Should().Equal(1, 2);
        slice.Events.Select(e => e.Data).Should().Equal(first, second);
        slice.Events[0].Data.Meta.Principal.Should().Be("alice@example.com");
    }

    [Fact]
    public async Task Of_two_writers_at_the_same_version_exactly_one_wins_and_the_loser_overwrites_nothing()
    {
        var created = await Store.AppendAsync(s_stream, 0, EventHashChain.Genesis, [Registered("v1")]);

        var results = await Task.WhenAll(
            Store.AppendAsync(s_stream, 1, created.LastHash, [Registered("v2-a")]),
            Store.AppendAsync(s_stream, 1, created.LastHash, [Registered("v2-b")]));

        results.Count(r => r.Appended).Should().Be(1, "the stream version check lets exactly one writer through");
        var slice = await Store.ReadAsync(s_stream);
        slice.Events.Should().HaveCount(2);
        var winner = results.Single(r => r.Appended);
        slice.LastHash.Should().Be(winner.LastHash);

        // The loser re-reads and appends on top: nothing was lost.
        var retry = await Store.AppendAsync(s_stream, slice.Version, slice.LastHash, [Registered("v3")]);
        retry.Appended.Should().BeTrue();
        (await Store.ReadAsync(s_stream)).Events.Select(e => ((TaskVersionRegistered)e.Data).Version)
            .Should().HaveCount(3).And.Contain("v3");
    }

    [Fact]
    public async Task Starting_a_stream_that_already_exists_is_a_conflict()
    {
        (await Store.AppendAsync(s_stream, 0, EventHashChain.Genesis, [Registered("v1")])).Appended.Should().BeTrue();

        var second = await Store.AppendAsync(s_stream, 0, EventHashChain.Genesis, [Registered("v1-other")]);

        second.Appended.Should().BeFalse();
        (await Store.ReadAsync(s_stream)).Events.Should().ContainSingle();
    }

    [Fact]
    public async Task Every_event_links_to_the_hash_of_the_one_before_it()
    {
        var first = await Store.AppendAsync(s_stream, 0, EventHashChain.Genesis, [Registered("v1"), Registered("v2")]);
        await Store.AppendAsync(s_stream, first.Version, first.LastHash, [Registered("v3")]);

        var events = (await Store.ReadAsync(s_stream)).Events;

        events[0].PreviousHash.Should().Be(EventHashChain.Genesis);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                events[i].PreviousHash.Should().Be(events[i - 1].Hash, $"event {i + 1} links to event {i}");
            }

            events[i].Hash.Should().Be(EventHashChain.Link(events[i].PreviousHash, s_stream.Key, events[i].Version, events[i].Data));
        }

        events.Select(e => e.Hash).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task Verification_finds_an_event_edited_in_the_database()
    {
        var appended = await Store.AppendAsync(s_stream, 0, EventHashChain.Genesis, [Registered("v1"), Registered("v2"), Registered("v3")]);
        (await StreamVerifier.VerifyAsync(Store, s_stream)).IsIntact.Should().BeTrue();

        await using (var connection = new NpgsqlConnection(_store.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "update flyte.mt_events set data = jsonb_set(data, '{Spec}', '\"tampered\"') where stream_id = @id and version = 2",
                connection);
            command.Parameters.AddWithValue("id", s_stream.Key);
            (await command.ExecuteNonQueryAsync()).Should().Be(1);
        }

        var verdict = await StreamVerifier.VerifyAsync(Store, s_stream);

        appended.Version.Should().Be(3);
        verdict.IsIntact.Should().BeFalse();
        verdict.FirstBrokenVersion.Should().Be(2);
        verdict.Problem.Should().Contain("version 2");
    }

    [Fact]
    public async Task Streams_are_stored_under_their_project_domain_tenant()
    {
        await Store.AppendAsync(s_stream, 0, EventHashChain.Genesis, [Registered("v1")]);

        await using var session = _store.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var tenants = await session.QueryAsync<string>(
            "select tenant_id from flyte.mt_events where stream_id = ?", s_stream.Key);

        tenants.Should().Equal("quant/development");
    }

    private static TaskVersionRegistered Registered(string version) =>
        new TaskVersionRegistered("quant", "development", "train-model", version, $$"""{"version":"{{version}}"}""", "hash-" + version)
        {
            Meta = new EventMetadata(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero), "alice@example.com", "req-1", null),
        };
}
