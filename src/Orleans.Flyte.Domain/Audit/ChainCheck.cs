using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Audit;

/// <summary>What kind of damage broke a stream's hash chain.</summary>
public enum ChainDamage
{
    /// <summary>The event's data was changed after it was written (its metadata still matches its metadata hash).</summary>
    EditedBody,

    /// <summary>The event's metadata (principal, time, correlation id, reason) was changed after it was written.</summary>
    EditedMetadata,

    /// <summary>The event was changed after it was written; stored before metadata hashes existed, so which part is not known.</summary>
    EditedContent,

    /// <summary>One or more events are gone from the middle of the stream.</summary>
    Missing,

    /// <summary>An event that was never part of the chain was put into it.</summary>
    Inserted,

    /// <summary>Events are in another order than they were written.</summary>
    Reordered,
}

/// <summary>Where and how a stream's chain breaks: <paramref name="Version"/> is the first version that is not as written.</summary>
public sealed record ChainBreak(long Version, ChainDamage Damage, string Detail);

/// <summary>One stored event as the chain sees it: its version, its stored links and its (deserialized) content.</summary>
public sealed record StoredLink(long Version, string PreviousHash, string Hash, string? MetadataHash, DomainEvent Data);

/// <summary>
/// Recomputes one stream's hash chain event by event, in version order, in constant memory while the chain holds. At the
/// first event that is not as written it keeps only the links that follow (not the events), to name the damage when the
/// stream ends: a version gap or a link to an event that no longer exists is a missing event; a link to a later event is a
/// reordering; a foreign event that the next one skips over is an insertion; a matching link with a mismatching hash is an
/// edit, of the metadata or of the body depending on the stored metadata hash.
/// </summary>
public sealed class ChainCheck(string streamKey)
{
    private readonly List<(string Previous, string Hash)> _after = [];
    private string _previous = EventHashChain.Genesis;
    private string? _beforePrevious;
    private long _expected = 1;
    private StoredLink? _suspect;
    private ChainBreak? _break;

    public string StreamKey { get; } = streamKey;

    public long Events { get; private set; }

    /// <summary>The hash of the last event seen (the stored one): the stream's head as the digest records it.</summary>
    public string Head { get; private set; } = EventHashChain.Genesis;

    public long LastVersion { get; private set; }

    public void Add(StoredLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        Events++;
        Head = link.Hash;
        LastVersion = link.Version;
        if (_break is not null)
        {
            return;
        }

        if (_suspect is not null)
        {
            _after.Add((link.PreviousHash, link.Hash));
            return;
        }

        if (link.Version != _expected)
        {
            _break = new ChainBreak(_expected, ChainDamage.Missing, link.Version == _expected + 1
                ? $"version {_expected} is missing (the next stored version is {link.Version})"
                : $"versions {_expected} to {link.Version - 1} are missing (the next stored version is {link.Version})");
            return;
        }

        if (!string.Equals(link.PreviousHash, _previous, StringComparison.Ordinal)
            || !string.Equals(link.Hash, EventHashChain.Link(_previous, StreamKey, link.Version, link.Data), StringComparison.Ordinal))
        {
            _suspect = link;
            return;
        }

        _beforePrevious = _previous;
        _previous = link.Hash;
        _expected++;
    }

    /// <summary>The first break, named; null when the whole stream is as written.</summary>
    public ChainBreak? Finish()
    {
        if (_break is not null || _suspect is not { } x)
        {
            return _break;
        }

        var v = x.Version;
        var type = EventHashChain.EventTypeName(x.Data);
        if (_after.Any(a => string.Equals(a.Hash, x.PreviousHash, StringComparison.Ordinal)))
        {
            return new ChainBreak(v, ChainDamage.Reordered, $"version {v} ({type}) was written after an event that is now stored later in the stream");
        }

        if (_after.Count > 0 && string.Equals(_after[0].Previous, _previous, StringComparison.Ordinal))
        {
            return new ChainBreak(v, ChainDamage.Inserted, $"version {v} ({type}) was inserted: the event after it links straight to version {v - 1}");
        }

        if (_beforePrevious is not null && string.Equals(x.PreviousHash, _beforePrevious, StringComparison.Ordinal))
        {
            return new ChainBreak(v - 1, ChainDamage.Inserted, $"version {v - 1} was inserted: version {v} ({type}) links straight to version {v - 2}");
        }

        if (string.Equals(x.PreviousHash, _previous, StringComparison.Ordinal))
        {
            if (x.MetadataHash is null)
            {
                return new ChainBreak(v, ChainDamage.EditedContent, $"version {v} ({type}) does not match its hash: it was changed after it was written");
            }

            return string.Equals(x.MetadataHash, EventHashChain.MetadataHash(x.Data), StringComparison.Ordinal)
                ? new ChainBreak(v, ChainDamage.EditedBody, $"the data of version {v} ({type}) was changed after it was written")
                : new ChainBreak(v, ChainDamage.EditedMetadata, $"the metadata of version {v} ({type}) (principal, time, correlation id or reason) was changed after it was written");
        }

        // It links to an event the stream no longer holds: deleted, with the later versions renumbered over the gap (or its
        // stored link was overwritten, which the chain cannot tell apart).
        return new ChainBreak(v, ChainDamage.Missing, $"the event version {v} ({type}) was written after is missing: the versions were renumbered over the gap");
    }
}

/// <summary>How the stored history differs from a digest taken earlier.</summary>
public enum DigestDamage
{
    /// <summary>The digest lists the stream; the store no longer has it.</summary>
    StreamDeleted,

    /// <summary>The stream ends before the version the digest recorded: its newest events were cut off.</summary>
    Truncated,

    /// <summary>The event at the digest's head version has another hash than the digest recorded.</summary>
    Rewritten,

    /// <summary>The tenant's last global sequence is below the digest's: events at the end of the log were removed.</summary>
    PositionBehind,

    /// <summary>The heads given do not hash to the digest given with them: the saved digest itself was altered.</summary>
    DigestAltered,
}
