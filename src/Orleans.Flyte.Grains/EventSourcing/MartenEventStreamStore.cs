using JasperFx.Events;
using Marten;
using Npgsql;
using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Grains.EventSourcing;

/// <summary>
/// Marten-backed streams: one string-keyed stream per grain, conjoined tenancy per project/domain.
/// The hash chain travels in event headers so the event bodies stay plain domain facts. Failures come out classified
/// (<see cref="StorageFailureClassifier"/>): a version conflict is a false result, a permanent failure an
/// <see cref="EventRejectedException"/>, a transient one a <see cref="StoreUnavailableException"/>.
/// </summary>
public sealed class MartenEventStreamStore(IDocumentStore store, Observability.EngineMetrics metrics) : IEventStreamStore
{
    private readonly StorableEvents _storable = new(store);

    internal const string PreviousHashHeader = "prev_hash";
    internal const string HashHeader = "hash";
    internal const string MetadataHashHeader = "meta_hash";

    public async Task<StreamSlice> ReadAsync(StreamAddress stream, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession(stream.Tenant);
        var events = await session.Events.FetchStreamAsync(stream.Key, token: cancellationToken);
        var recorded = new List<RecordedEvent>(events.Count);
        foreach (var e in events)
        {
            if (e.Data is not DomainEvent data)
            {
                throw new InvalidOperationException(
                    $"Stream {stream} holds event {e.Version} of type {e.EventTypeName}, which is not a domain event of this version of Orleans.Flyte.");
            }

            recorded.Add(new RecordedEvent(
                e.Version,
                e.Sequence,
                data,
                e.EventTypeName,
                e.Timestamp,
                HeaderText(e, PreviousHashHeader),
                HeaderText(e, HashHeader)));
        }

        return new StreamSlice(stream, recorded);
    }

    public async Task<AppendResult> AppendAsync(
        StreamAddress stream,
        long expectedVersion,
        string previousHash,
        IReadOnlyList<DomainEvent> events,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        if (events.Count == 0)
        {
            return new AppendResult(true, expectedVersion, previousHash);
        }

        EnsureStorable(stream, events);
        var request = new PendingAppend(stream, expectedVersion, previousHash, events);
        return await AppendBatchAsync([request], cancellationToken) ? request.Result! : AppendResult.Conflict(expectedVersion, previousHash);
    }

    /// <summary>Refuses, before any I/O, events PostgreSQL could not hold.</summary>
    /// <exception cref="EventRejectedException">One of <paramref name="events"/> cannot be stored.</exception>
    public void EnsureStorable(StreamAddress stream, IReadOnlyList<DomainEvent> events) => _storable.EnsureStorable(stream, events);

    /// <summary>
    /// Appends to several streams in one transaction (group commit): all succeed, or none does. On false, some
    /// stream had moved on; the caller retries the requests one by one to find out which.
    /// </summary>
    internal async Task<bool> AppendBatchAsync(IReadOnlyList<PendingAppend> batch, CancellationToken cancellationToken = default)
    {
        await using var session = store.LightweightSession();
        foreach (var request in batch)
        {
            var events = session.ForTenant(request.Stream.Tenant).Events;
            var action = request.ExpectedVersion == 0
                ? events.StartStream(request.Stream.Key, request.Events)
                : events.Append(request.Stream.Key, request.ExpectedVersion + request.Events.Count, request.Events);

            var version = request.ExpectedVersion;
            var link = request.PreviousHash;
            foreach (var e in action.Events)
            {
                version++;
                var hash = EventHashChain.Link(link, request.Stream.Key, version, (DomainEvent)e.Data);
                e.SetHeader(PreviousHashHeader, link);
                e.SetHeader(HashHeader, hash);
                e.SetHeader(MetadataHashHeader, EventHashChain.MetadataHash((DomainEvent)e.Data));
                link = hash;
            }

            request.Result = new AppendResult(true, version, link);
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await session.SaveChangesAsync(cancellationToken);
            metrics.Appended(System.Diagnostics.Stopwatch.GetElapsedTime(started), batch.Count, batch.Sum(r => r.Events.Count));
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var kind = StorageFailureClassifier.Of(ex);
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (kind == StorageFailureKind.Conflict)
            {
                metrics.AppendConflicted(took);
            }
            else
            {
                metrics.AppendFailed(took, transient: kind == StorageFailureKind.Transient);
            }

            switch (kind)
            {
                case StorageFailureKind.Conflict:
                    return false;
                case StorageFailureKind.Transient:
                    throw new StoreUnavailableException($"The event store is unavailable: {ex.GetBaseException().Message}", ex);
                default:
                    var state = ex.GetBaseException() is PostgresException pg ? $" (SQLSTATE {pg.SqlState})" : string.Empty;
                    throw new EventRejectedException(
                        $"The event store refused to record {string.Join(", ", batch.Select(r => r.Stream))}{state}: {ex.GetBaseException().Message}", ex);
            }
        }
    }

    internal static string HeaderText(IEvent e, string name) =>
        e.Headers is not null && e.Headers.TryGetValue(name, out var value) && value is not null
            ? value.ToString() ?? string.Empty
            : string.Empty;
}

/// <summary>One stream's share of a (possibly grouped) append.</summary>
internal sealed class PendingAppend(StreamAddress stream, long expectedVersion, string previousHash, IReadOnlyList<DomainEvent> events)
{
    public StreamAddress Stream { get; } = stream;

    public long ExpectedVersion { get; } = expectedVersion;

    public string PreviousHash { get; } = previousHash;

    public IReadOnlyList<DomainEvent> Events { get; } = events;

    /// <summary>Set when the batch it was part of committed.</summary>
    public AppendResult? Result { get; set; }

    public TaskCompletionSource<AppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
