using JasperFx.Events;
using Marten;
using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Grains.EventSourcing;

/// <summary>
/// Marten-backed streams: one string-keyed stream per grain, conjoined tenancy per project/domain.
/// The hash chain travels in event headers so the event bodies stay plain domain facts.
/// </summary>
public sealed class MartenEventStreamStore(IDocumentStore store) : IEventStreamStore
{
    internal const string PreviousHashHeader = "prev_hash";
    internal const string HashHeader = "hash";

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

        await using var session = store.LightweightSession(stream.Tenant);

        var action = expectedVersion == 0
            ? session.Events.StartStream(stream.Key, events)
            : session.Events.Append(stream.Key, expectedVersion + events.Count, events);

        var version = expectedVersion;
        var link = previousHash;
        foreach (var e in action.Events)
        {
            version++;
            var hash = EventHashChain.Link(link, stream.Key, version, (DomainEvent)e.Data);
            e.SetHeader(PreviousHashHeader, link);
            e.SetHeader(HashHeader, hash);
            link = hash;
        }

        try
        {
            await session.SaveChangesAsync(cancellationToken);
        }
        catch (Exception ex) when (IsVersionConflict(ex))
        {
            return AppendResult.Conflict(expectedVersion, previousHash);
        }

        return new AppendResult(true, version, link);
    }

    private static bool IsVersionConflict(Exception ex) => ex
        is EventStreamUnexpectedMaxEventIdException
        or Marten.Exceptions.ExistingStreamIdCollisionException
        or JasperFx.Events.ExistingStreamIdCollisionException
        or JasperFx.ConcurrencyException;

    private static string HeaderText(IEvent e, string name) =>
        e.Headers is not null && e.Headers.TryGetValue(name, out var value) && value is not null
            ? value.ToString() ?? string.Empty
            : string.Empty;
}
