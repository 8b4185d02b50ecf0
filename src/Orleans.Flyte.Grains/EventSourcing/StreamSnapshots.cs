using System.Text.Json;
using Marten;
using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Grains.EventSourcing;

/// <summary>
/// A stream's folded state at one version, kept so an as-of read of a long stream (the allocator, GPU nodes) starts from
/// the latest snapshot before its instant instead of from the first event. Derived data, like a read model: never part of
/// the hash chain, never read by verify, and rebuilt from nothing but the events.
/// </summary>
public sealed class StreamSnapshot
{
    /// <summary><c>{tenant}|{stream}|{version}</c>: one snapshot per stream version, so writing it again is harmless.</summary>
    public string Id { get; set; } = string.Empty;

    public string Tenant { get; set; } = string.Empty;

    public string Stream { get; set; } = string.Empty;

    /// <summary>The version of the last event folded into <see cref="State"/>.</summary>
    public long Version { get; set; }

    /// <summary>The latest event time (UTC ticks) among versions 1..<see cref="Version"/>: the snapshot serves an as-of read
    /// at any instant at or after it, because every event it folded was stamped at or before that instant. The latest, not
    /// the last: clocks of different silos may disagree, so a stream's stamps need not rise.</summary>
    public long AtTicks { get; set; }

    /// <summary>The stored hash of the event at <see cref="Version"/>: the tail read after the snapshot must continue from it.</summary>
    public string Hash { get; set; } = string.Empty;

    /// <summary>The state as JSON (<see cref="StreamSnapshots.Json"/>).</summary>
    public string State { get; set; } = string.Empty;

    public static string IdOf(StreamAddress stream, long version) => $"{stream.Tenant}|{stream.Key}|{version:D12}";
}

/// <summary>How often long streams are snapshotted, bound from <c>Flyte:Snapshots</c>.</summary>
public sealed class StreamSnapshotOptions
{
    public const string Section = "Flyte:Snapshots";

    /// <summary>A snapshot each time a snapshotted stream passes a multiple of this many events; 0 turns them off.</summary>
    public int Every { get; set; } = 1000;
}

/// <summary>Writes and finds <see cref="StreamSnapshot"/>s.</summary>
public sealed class StreamSnapshots(IDocumentStore store)
{
    /// <summary>States keep private setters and mark what a snapshot carries with <c>[JsonInclude]</c>.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public static string Serialize<TState>(TState state) => JsonSerializer.Serialize(state, Json);

    public static TState Deserialize<TState>(string json) =>
        JsonSerializer.Deserialize<TState>(json, Json) ?? throw new InvalidOperationException($"A snapshot of {typeof(TState).Name} read back as null.");

    public async Task SaveAsync(StreamAddress stream, long version, DateTimeOffset latestAt, string hash, string state, CancellationToken cancellationToken = default)
    {
        await using var session = store.LightweightSession();
        session.Store(new StreamSnapshot
        {
            Id = StreamSnapshot.IdOf(stream, version),
            Tenant = stream.Tenant,
            Stream = stream.Key,
            Version = version,
            AtTicks = latestAt.UtcTicks,
            Hash = hash,
            State = state,
        });
        await session.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The newest snapshot of the stream whose events were all stamped at or before <paramref name="asOf"/>.</summary>
    public async Task<StreamSnapshot?> LatestAsync(StreamAddress stream, DateTimeOffset asOf, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        var ticks = asOf.UtcTicks;
        return await session.Query<StreamSnapshot>()
            .Where(s => s.Stream == stream.Key && s.Tenant == stream.Tenant && s.AtTicks <= ticks)
            .OrderByDescending(s => s.Version)
            .FirstOrDefaultAsync(cancellationToken);
    }
}
