using System.Threading.Channels;
using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Domain.Audit;
using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Grains.Audit;

/// <summary>
/// Recomputes every chain of a tenant on all cores: one reader streams the rows (in stream/version order) and hands each
/// stream to one worker chosen by its key, so a stream's events stay in order on one worker while deserializing and
/// hashing, the costly part, run in parallel. Bounded channels keep memory constant however long the history is.
/// </summary>
/// <para>With a budget, streams are read in key order a few hundred at a time and the walk stops between two such groups
/// once the budget is spent: <see cref="StoppedAfter"/> is then the last stream checked, where the next call continues.</para>
internal sealed class ChainVerification(EventLogRows rows, IReadOnlyDictionary<string, StreamHead> expected)
{
    private const int Capacity = 2048;

    /// <summary>Streams read per query when the walk is bounded by a budget.</summary>
    private const int StreamsPerRead = 500;

    /// <summary>Set when a budget ran out before the last stream: the key of the last stream checked.</summary>
    public string? StoppedAfter { get; private set; }

    public long Events { get; private set; }

    public List<StreamDamage> Broken { get; } = [];

    public List<StreamHead> Heads { get; } = [];

    public List<DigestFinding> Findings { get; } = [];

    public List<GpuAllocatorEvent> Allocator { get; } = [];

    /// <param name="after">Check only the streams whose keys sort after this one (a continued verify); null: from the first.</param>
    /// <param name="budget">Stop between two groups of streams once this much time has passed; null: walk to the end in one query.</param>
    public async Task RunAsync(string tenant, CancellationToken cancellationToken, string? after = null, TimeSpan? budget = null)
    {
        var workers = Enumerable.Range(0, Math.Max(2, Environment.ProcessorCount)).Select(_ => new Worker(rows, expected)).ToArray();
        var running = workers.Select(w => Task.Run(() => w.RunAsync(cancellationToken), cancellationToken)).ToArray();
        try
        {
            Worker? current = null;
            string? stream = null;
            async Task Feed(IAsyncEnumerable<RawEventRow> read)
            {
                await foreach (var row in read)
                {
                    Events++;
                    if (!string.Equals(stream, row.Stream, StringComparison.Ordinal))
                    {
                        stream = row.Stream;
                        current = workers[(int)((uint)StringComparer.Ordinal.GetHashCode(row.Stream) % workers.Length)];
                    }

                    await current!.Input.Writer.WriteAsync(row, cancellationToken);
                }
            }

            if (budget is not { } limit)
            {
                await Feed(rows.ReadRawAsync(
                    "where tenant_id = @tenant and stream_id > @after order by stream_id, version",
                    p =>
                    {
                        p.AddWithValue("tenant", tenant);
                        p.AddWithValue("after", after ?? string.Empty);
                    },
                    cancellationToken));
            }
            else
            {
                // Groups of streams by key, in the database's own order (its collation), each read whole: the walk can stop
                // between two groups without a half-read query, and continue after the last key of the group it stopped at.
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var from = after ?? string.Empty;
                while (await rows.LastKeyAsync(tenant, from, StreamsPerRead, cancellationToken) is { } through)
                {
                    await Feed(rows.ReadRawAsync(
                        "where tenant_id = @tenant and stream_id > @from and stream_id <= @through order by stream_id, version",
                        p =>
                        {
                            p.AddWithValue("tenant", tenant);
                            p.AddWithValue("from", from);
                            p.AddWithValue("through", through);
                        },
                        cancellationToken));
                    from = through;
                    if (watch.Elapsed >= limit)
                    {
                        StoppedAfter = await rows.LastKeyAsync(tenant, from, 1, cancellationToken) is null ? null : from;
                        break;
                    }
                }
            }
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Input.Writer.TryComplete();
            }
        }

        await Task.WhenAll(running);
        foreach (var worker in workers)
        {
            Broken.AddRange(worker.Broken);
            Heads.AddRange(worker.Heads);
            Findings.AddRange(worker.Findings);
            Allocator.AddRange(worker.Allocator);
        }

        Broken.Sort((a, b) => string.CompareOrdinal(a.Stream, b.Stream));
        Heads.Sort((a, b) => string.CompareOrdinal(a.Stream, b.Stream));
        Findings.AddRange(Missing(expected.Values, Heads.ToDictionary(h => h.Stream, StringComparer.Ordinal)));
        Findings.Sort((a, b) => string.CompareOrdinal(a.Stream, b.Stream));
    }

    /// <summary>Streams the digest recorded that are gone now, or end before the version it recorded.</summary>
    public static IEnumerable<DigestFinding> Missing(IEnumerable<StreamHead> recorded, IReadOnlyDictionary<string, StreamHead> present)
    {
        foreach (var head in recorded.OrderBy(h => h.Stream, StringComparer.Ordinal))
        {
            if (!present.TryGetValue(head.Stream, out var now))
            {
                yield return new DigestFinding(head.Stream, DigestDamage.StreamDeleted,
                    $"the digest recorded {head.Stream} at version {head.Version}; the store has no such stream: it was deleted");
            }
            else if (now.Version < head.Version)
            {
                yield return new DigestFinding(head.Stream, DigestDamage.Truncated,
                    $"the digest recorded version {head.Version}; the stream now ends at version {now.Version}: its newest events were removed");
            }
        }
    }

    private sealed class Worker(EventLogRows rows, IReadOnlyDictionary<string, StreamHead> expected)
    {
        private ChainCheck? _check;

        public Channel<RawEventRow> Input { get; } = Channel.CreateBounded<RawEventRow>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });

        public List<StreamDamage> Broken { get; } = [];

        public List<StreamHead> Heads { get; } = [];

        public List<DigestFinding> Findings { get; } = [];

        public List<GpuAllocatorEvent> Allocator { get; } = [];

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            await foreach (var raw in Input.Reader.ReadAllAsync(cancellationToken))
            {
                var row = rows.Deserialize(raw);
                if (_check?.StreamKey != row.Stream)
                {
                    Close();
                    _check = new ChainCheck(row.Stream);
                }

                _check.Add(new StoredLink(row.Version, row.PreviousHash, row.Hash, row.MetadataHash, row.Data));
                if (expected.TryGetValue(row.Stream, out var recorded) && recorded.Version == row.Version && !string.Equals(recorded.Hash, row.Hash, StringComparison.Ordinal))
                {
                    Findings.Add(new DigestFinding(row.Stream, DigestDamage.Rewritten,
                        $"version {row.Version} has hash {row.Hash}; the digest recorded {recorded.Hash}: the stream was rewritten from there or earlier"));
                }

                if (row.Stream == MartenAuditLog.AllocatorStream && row.Data is GpuAllocatorEvent allocated)
                {
                    Allocator.Add(allocated);
                }
            }

            Close();
        }

        private void Close()
        {
            if (_check is null)
            {
                return;
            }

            if (_check.Finish() is { } damage)
            {
                Broken.Add(new StreamDamage(_check.StreamKey, damage.Version, damage.Damage, damage.Detail));
            }

            Heads.Add(new StreamHead(_check.StreamKey, _check.LastVersion, _check.Head));
        }
    }
}
