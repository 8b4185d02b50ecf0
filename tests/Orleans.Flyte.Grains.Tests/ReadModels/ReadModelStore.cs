using Marten;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.ReadModels;

/// <summary>
/// The event store as the silo configures it (inline read models, catalogs) on a database of its own, one per test
/// class; tests append through the same store the grains use and read the documents and catalogs it feeds.
/// </summary>
public sealed class ReadModelStore : IAsyncLifetime
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    private EventStoreHost _store = null!;

    public IServiceProvider Services => _store.Services;

    public IDocumentStore Documents => Services.GetRequiredService<IDocumentStore>();

    public async Task InitializeAsync() => _store = await EventStoreHost.StartAsync("readmodels");

    public async Task DisposeAsync() => await _store.DisposeAsync();

    /// <summary>Appends at the stream's current version, as a grain that has read its stream would.</summary>
    public async Task Append(StreamAddress stream, params DomainEvent[] events)
    {
        var store = Services.GetRequiredService<IEventStreamStore>();
        var slice = await store.ReadAsync(stream);
        var result = await store.AppendAsync(stream, slice.Version, slice.LastHash, events);
        result.Appended.Should().BeTrue($"nothing else writes {stream}");
    }

    /// <summary>Starts several streams in one transaction, as the group commit does with appends that arrive together.</summary>
    public async Task StartTogether(params (StreamAddress Stream, DomainEvent[] Events)[] streams)
    {
        var batch = streams.Select(s => new PendingAppend(s.Stream, 0, EventHashChain.Genesis, s.Events)).ToList();
        (await Services.GetRequiredService<MartenEventStreamStore>().AppendBatchAsync(batch)).Should().BeTrue("every stream is new");
    }

    public async Task<IReadOnlyList<T>> All<T>() where T : notnull
    {
        await using var session = Documents.QuerySession();
        return await session.Query<T>().ToListAsync();
    }

    public async Task<T?> Load<T>(string id) where T : notnull
    {
        await using var session = Documents.QuerySession();
        return await session.LoadAsync<T>(id);
    }

    /// <summary>Stamps an event as a grain does: when, who, which request, why.</summary>
    public static T At<T>(T e, int minute, string principal = "alice@example.com", string? reason = null) where T : DomainEvent =>
        (T)((DomainEvent)e with { Meta = new EventMetadata(T0.AddMinutes(minute), principal, "req-" + minute, reason) });
}
