using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Grains.EventSourcing;

/// <summary>One stream per grain; appends are optimistic on the stream version.</summary>
public interface IEventStreamStore
{
    Task<StreamSlice> ReadAsync(StreamAddress stream, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends <paramref name="events"/> if and only if the stream is still at <paramref name="expectedVersion"/>
    /// (0 = the stream must not exist). A stale writer gets <see cref="AppendResult.Conflict"/> and must re-read;
    /// it never overwrites. <paramref name="previousHash"/> is the hash of the event at
    /// <paramref name="expectedVersion"/> as the caller read it (or <see cref="EventHashChain.Genesis"/>); if the
    /// stream moved on, the version check rejects the append, so the caller's copy is always the true tail.
    /// </summary>
    Task<AppendResult> AppendAsync(
        StreamAddress stream,
        long expectedVersion,
        string previousHash,
        IReadOnlyList<DomainEvent> events,
        CancellationToken cancellationToken = default);
}

/// <summary>An event as stored, with its place in the stream and its link in the hash chain.</summary>
public sealed record RecordedEvent(
    long Version,
    long Sequence,
    DomainEvent Data,
    string EventType,
    DateTimeOffset StoredAt,
    string PreviousHash,
    string Hash);

public sealed record StreamSlice(StreamAddress Stream, IReadOnlyList<RecordedEvent> Events)
{
    public long Version => Events.Count == 0 ? 0 : Events[^1].Version;

    public string LastHash => Events.Count == 0 ? EventHashChain.Genesis : Events[^1].Hash;
}

/// <param name="LastHash">The hash of the stream's last event after the append (unchanged on conflict).</param>
public sealed record AppendResult(bool Appended, long Version, string LastHash)
{
    public static AppendResult Conflict(long expected, string previousHash) => new(false, expected, previousHash);
}
