using System.Runtime.CompilerServices;
using Marten;
using Npgsql;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Grains.Hosting;

namespace Orleans.Flyte.Grains.Audit;

/// <summary>Where the event log lives: the connection string and Marten's schema.</summary>
public sealed record EventLogDatabase(string ConnectionString, string Schema);

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

    public string Table => $"{database.Schema}.mt_events";

    public async IAsyncEnumerable<EventRow> ReadAsync(
        string whereAndOrder, Action<NpgsqlParameterCollection> parameters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var serializer = store.Options.Serializer();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"select seq_id, stream_id, version, mt_dotnet_type, data, headers->>'prev_hash', headers->>'hash', headers->>'meta_hash' from {Table} {whereAndOrder}",
            connection);
        parameters(command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var typeName = reader.GetString(3);
            var comma = typeName.IndexOf(',', StringComparison.Ordinal);
            var key = comma < 0 ? typeName : typeName[..comma];
            if (!s_types.TryGetValue(key, out var type) || serializer.FromJson(type, reader, 4) is not DomainEvent data)
            {
                throw new InvalidOperationException(
                    $"Event {reader.GetInt64(0)} ({reader.GetString(1)} version {reader.GetInt64(2)}) is of type {typeName}, which is not a domain event of this version of Orleans.Flyte.");
            }

            yield return new EventRow(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetInt64(2),
                data,
                reader.IsDBNull(5) ? string.Empty : reader.GetString(5),
                reader.IsDBNull(6) ? string.Empty : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7));
        }
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
