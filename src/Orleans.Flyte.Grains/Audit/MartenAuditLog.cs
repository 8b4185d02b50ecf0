using System.Diagnostics;
using System.Runtime.CompilerServices;
using Marten;
using Microsoft.Extensions.Options;
using NpgsqlTypes;
using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Audit;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Grains.Executions;
using Orleans.Flyte.Grains.Gpus;

namespace Orleans.Flyte.Grains.Audit;

/// <summary>
/// The audit read side over the event log itself (not over read models, which are derived and could be rebuilt to
/// agree with edited events). Verify recomputes every chain with <see cref="ChainCheck"/>; the as-of fold uses the grains'
/// own states and views (<see cref="WorkflowExecutionState"/>, <see cref="ExecutionViews"/>, <see cref="TaskExecutionViews"/>).
/// </summary>
public sealed partial class MartenAuditLog(
    IDocumentStore store, EventLogDatabase database, StreamSnapshots snapshots, IOptions<GpuOptions> gpuOptions, TimeProvider clock) : IAuditLog
{
    /// <summary>The allocator's stream: verify replays its promises with <see cref="GpuLeaseAudit"/>.</summary>
    public const string AllocatorStream = "gpu/allocator";

    private readonly EventLogRows _rows = new(store, database);

    public static string ScopeOf(string tenant) => tenant == StreamAddress.ClusterTenant ? "cluster" : tenant;

    public async IAsyncEnumerable<HistoryEntry> HistoryAsync(HistoryQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new List<string> { "tenant_id = @tenant", "seq_id > @after" };
        if (query.From is not null)
        {
            where.Add("(data->'Meta'->>'At')::timestamptz >= @from");
        }

        if (query.To is not null)
        {
            where.Add("(data->'Meta'->>'At')::timestamptz < @to");
        }

        var prefixes = query.StreamPrefixes ?? [];
        if (prefixes.Count > 0)
        {
            where.Add("(" + string.Join(" or ", prefixes.Select((_, i) => $"starts_with(stream_id, @prefix{i})")) + ")");
        }

        if (query.Principal is not null)
        {
            where.Add("(data->'Meta'->>'Principal' = @principal or data->'Meta'->>'OnBehalfOf' = @principal)");
        }

        if (query.CorrelationId is not null)
        {
            where.Add("data->'Meta'->>'CorrelationId' = @correlation");
        }

        var sql = $"where {string.Join(" and ", where)} order by seq_id" + (query.Limit is { } limit ? $" limit {limit}" : string.Empty);
        var rows = _rows.ReadAsync(sql, p =>
        {
            p.AddWithValue("tenant", query.Tenant);
            p.AddWithValue("after", query.AfterSequence);
            if (query.From is { } from)
            {
                p.AddWithValue("from", NpgsqlDbType.TimestampTz, from.UtcDateTime);
            }

            if (query.To is { } to)
            {
                p.AddWithValue("to", NpgsqlDbType.TimestampTz, to.UtcDateTime);
            }

            for (var i = 0; i < prefixes.Count; i++)
            {
                p.AddWithValue($"prefix{i}", prefixes[i]);
            }

            if (query.Principal is { } principal)
            {
                p.AddWithValue("principal", principal);
            }

            if (query.CorrelationId is { } correlation)
            {
                p.AddWithValue("correlation", correlation);
            }
        }, cancellationToken);
        await foreach (var row in rows)
        {
            var meta = row.Data.Meta;
            yield return new HistoryEntry(
                row.Sequence, row.Stream, row.Version, EventHashChain.EventTypeName(row.Data), meta.At, meta.Principal, meta.OnBehalfOf,
                meta.CorrelationId, meta.Reason, EventDataView.Of(row.Data), row.Hash);
        }
    }

    public async Task<AuditDigest> DigestAsync(string tenant, CancellationToken cancellationToken = default)
    {
        // Heads from the stored headers of each stream's last event; one query, no event bodies read.
        var heads = new List<StreamHead>();
        await using (var connection = new Npgsql.NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new Npgsql.NpgsqlCommand(
                $"select distinct on (stream_id) stream_id, version, coalesce(headers->>'hash', '') from {_rows.Table} where tenant_id = @tenant order by stream_id, version desc",
                connection);
            command.Parameters.AddWithValue("tenant", tenant);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                heads.Add(new StreamHead(reader.GetString(0), reader.GetInt64(1), reader.GetString(2)));
            }
        }

        var position = await GlobalPositionAsync(tenant, cancellationToken);
        return Digest(tenant, position, heads);
    }

    public Task<VerifyReport> VerifyAsync(string tenant, AuditDigest? saved, CancellationToken cancellationToken = default) =>
        VerifyAsync(tenant, saved, after: null, budget: null, cancellationToken);

    public async Task<VerifyReport> VerifyAsync(string tenant, AuditDigest? saved, string? after, TimeSpan? budget, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        var expected = saved?.Streams.ToDictionary(h => h.Stream, StringComparer.Ordinal) ?? [];
        var verification = new ChainVerification(_rows, expected);
        await verification.RunAsync(tenant, cancellationToken, after, budget);
        var (broken, heads, findings, allocator, events) =
            (verification.Broken, verification.Heads, verification.Findings, verification.Allocator, verification.Events);
        var next = verification.StoppedAfter;
        var whole = after is null && next is null;
        AuditDigest? stored = null;
        if (!whole)
        {
            // A part of a continued verify: the digest's heads are compared with the stored heads once, by the part that
            // finishes (deleted streams, truncated tails), since no one part walks every stream; a part only reports what
            // it walked. ChainVerification compared the heads of the streams this part walked: keep only rewrites.
            findings.RemoveAll(f => f.Damage is DigestDamage.StreamDeleted or DigestDamage.Truncated);
            if (next is null && saved is not null)
            {
                stored = await DigestAsync(tenant, cancellationToken);
                findings.AddRange(ChainVerification.Missing(expected.Values, stored.Streams.ToDictionary(h => h.Stream, StringComparer.Ordinal)));
            }
        }

        var position = await GlobalPositionAsync(tenant, cancellationToken);
        if (saved is not null && next is null)
        {
            if (!string.Equals(saved.Digest, HistoryDigest.Compute(saved.Scope, saved.GlobalPosition, saved.Streams.Select(h => (h.Stream, h.Version, h.Hash))), StringComparison.Ordinal))
            {
                findings.Insert(0, new DigestFinding(null, DigestDamage.DigestAltered,
                    "the stream heads given do not hash to the digest given with them: the saved digest was altered, so nothing can be concluded from it"));
            }

            if (position < saved.GlobalPosition)
            {
                findings.Add(new DigestFinding(null, DigestDamage.PositionBehind,
                    $"the digest recorded global position {saved.GlobalPosition}; the newest event now is {position}: events at the end of the log were removed"));
            }
        }

        // The allocator's promises are checked by the part that walked its stream (all of it: a group holds whole streams).
        var lease = tenant == StreamAddress.ClusterTenant && (whole || allocator.Count > 0) ? GpuLeaseAudit.Check(allocator, gpuOptions.Value.Policy()) : [];
        var current = whole ? Digest(tenant, position, heads) : next is null ? stored ?? await DigestAsync(tenant, cancellationToken) : null;
        return new VerifyReport(
            ScopeOf(tenant), heads.Count, events, broken.Count == 0 && findings.Count == 0 && lease.Count == 0,
            broken, findings, lease, current, watch.Elapsed.TotalSeconds, next);
    }

    private Task<long> GlobalPositionAsync(string tenant, CancellationToken cancellationToken) =>
        _rows.ScalarAsync("select coalesce(max(seq_id), 0) from {events} where tenant_id = @tenant", p => p.AddWithValue("tenant", tenant), cancellationToken);

    private AuditDigest Digest(string tenant, long position, IReadOnlyList<StreamHead> heads)
    {
        var scope = ScopeOf(tenant);
        return new AuditDigest(scope, position, heads, HistoryDigest.Compute(scope, position, heads.Select(h => (h.Stream, h.Version, h.Hash))), clock.GetUtcNow());
    }
}
