using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Grains.EventSourcing;

/// <param name="FirstBrokenVersion">The first event whose stored link or content does not match; null when intact.</param>
public sealed record StreamVerification(StreamAddress Stream, long Events, bool IsIntact, long? FirstBrokenVersion, string? Problem);

/// <summary>
/// Recomputes a stream's hash chain from what is stored. An edited body, an edited link, a deleted or an
/// inserted event each break the chain at the first affected version.
/// </summary>
public static class StreamVerifier
{
    public static async Task<StreamVerification> VerifyAsync(IEventStreamStore store, StreamAddress stream, CancellationToken cancellationToken = default)
    {
        var slice = await store.ReadAsync(stream, cancellationToken);
        var previous = EventHashChain.Genesis;
        long expectedVersion = 0;
        foreach (var e in slice.Events)
        {
            expectedVersion++;
            var problem =
                e.Version != expectedVersion ? $"version {expectedVersion} is missing (found version {e.Version} next)"
                : !string.Equals(e.PreviousHash, previous, StringComparison.Ordinal) ? $"version {e.Version} does not link to the hash of version {e.Version - 1}"
                : !string.Equals(e.Hash, EventHashChain.Link(previous, stream.Key, e.Version, e.Data), StringComparison.Ordinal)
                    ? $"version {e.Version} ({e.EventType}) does not match its recorded hash: its content or metadata was changed after it was written"
                : null;
            if (problem is not null)
            {
                return new StreamVerification(stream, slice.Events.Count, false, expectedVersion, problem);
            }

            previous = e.Hash;
        }

        return new StreamVerification(stream, slice.Events.Count, true, null, null);
    }
}
