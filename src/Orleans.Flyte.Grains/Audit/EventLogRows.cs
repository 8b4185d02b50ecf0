using System.Runtime.CompilerServices;
using Marten;
using Npgsql;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Grains.Hosting;

namespace Orleans.Flyte.Grains.Audit;

/// <summary>Where the event log lives: the connection string and Marten's schema.</summary>
public sealed record EventLogDatabase(string ConnectionString, string Schema);

/// <summary>One stored event row as read, its data still JSON text.</summary>
internal sealed record RawEventRow(
    long Sequence, string Stream, long Version, string TypeName, string Json, string PreviousHash, string Hash, string? MetadataHash);

/// <summary>One stored event row, its data deserialized with Marten's serializer.</summary>
internal sealed record EventRow(
    long Sequence, string Stream, long Version, DomainEvent Data, string PreviousHash, string Hash, string? MetadataHash);

/// <summary>
/// Reads <c>mt_events</c> with plain SQL, row by row (Npgsql streams a result set, it does not buffer it), so an audit
/// over millions of events holds one row at a time. Marten's own APIs fetch a stream or a query into a list; this is the
/// read path where that is not acceptable.
/// </summary>
internal sealed class EventLogRows(IDocumentStore store, EventLogDatabase database)
{
    private static readonly Dictionary<string, Type> s_types =
        EventStoreRegistration.EventTypes.ToDictionary(t => t.FullName!, StringComparer.Ordinal);

    private readonly Marten.ISerializer _serializer = store.Options.Serializer();

    public string Table => $"{database.Schema}.mt_events";

    public async IAsyncEnumerable<EventRow> ReadAsync(
        string whereAndOrder, Action<NpgsqlParameterCollection> parameters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var raw in ReadRawAsync(whereAndOrder, parameters, cancellationToken))
        {
            yield return Deserialize(raw);
        }
    }

    /// <summary>The rows with their data as JSON text, not yet deserialized: for readers that spread that work over cores.</summary>
    /// <param name="chain">False leaves the hashes out (empty): for folds, which need the events and not their links, and
    /// save the server three header lookups a row.</param>
    public async IAsyncEnumerable<RawEventRow> ReadRawAsync(
        string whereAndOrder, Action<NpgsqlParameterCollection> parameters, [EnumeratorCancellation] CancellationToken cancellationToken, bool chain = true)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var links = chain ? "headers->>'prev_hash', headers->>'hash', headers->>'meta_hash'" : "null, null, null";
        await using var command = new NpgsqlCommand(
            $"select seq_id, stream_id, version, mt_dotnet_type, data, {links} from {Table} {whereAndOrder}",
            connection);
        parameters(command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new RawEventRow(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetInt64(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? string.Empty : reader.GetString(5),
                reader.IsDBNull(6) ? string.Empty : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7));
        }
    }

    public EventRow Deserialize(RawEventRow raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var comma = raw.TypeName.IndexOf(',', StringComparison.Ordinal);
        var key = comma < 0 ? raw.TypeName : raw.TypeName[..comma];
        if (!s_types.TryGetValue(key, out var type) || _serializer.FromJson(type, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(raw.Json))) is not DomainEvent data)
        {
            throw new InvalidOperationException(
                $"Event {raw.Sequence} ({raw.Stream} version {raw.Version}) is of type {raw.TypeName}, which is not a domain event of this version of Orleans.Flyte.");
        }

        return new EventRow(raw.Sequence, raw.Stream, raw.Version, data, raw.PreviousHash, raw.Hash, raw.MetadataHash);
    }

    /// <summary>The key of the <paramref name="count"/>-th stream after <paramref name="after"/> in key order (the last one
    /// when fewer remain); null when none remains.</summary>
    public async Task<string?> LastKeyAsync(string tenant, string after, int count, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"select max(stream_id) from (select distinct stream_id from {Table} where tenant_id = @tenant and stream_id > @after order by stream_id limit @count) keys",
            connection);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("count", count);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task<long> ScalarAsync(string sql, Action<NpgsqlParameterCollection> parameters, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql.Replace("{events}", Table, StringComparison.Ordinal), connection);
        parameters(command.Parameters);
        return await command.ExecuteScalarAsync(cancellationToken) is long value ? value : 0;
    }
}
