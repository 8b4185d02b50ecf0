using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Clustering;

/// <summary>
/// Durable Orleans reminders in PostgreSQL, keyed by <see cref="ClusterOptions.ServiceId"/> so they outlive every
/// silo and every cluster of the service. Each row stores the grain's uniform hash: the reminder service of each silo
/// reads the reminders of its own range of the hash ring.
/// </summary>
internal sealed class PostgresReminderTable(OrleansDatabase database, IOptions<ClusterOptions> cluster) : IReminderTable
{
    private const string Columns = "grain_id, reminder_name, start_at, period, etag";

    private string ServiceId => cluster.Value.ServiceId;

    public Task StartAsync(CancellationToken cancellationToken = default) => database.EnsureCreated();

    public async Task<ReminderTableData> ReadRows(GrainId grainId)
    {
        await database.EnsureCreated();
        await using var command = database.DataSource.CreateCommand(
            $"select {Columns} from orleans.reminders where service_id = $1 and grain_id = $2");
        command.Parameters.AddWithValue(ServiceId);
        command.Parameters.AddWithValue(grainId.ToString());
        return new ReminderTableData(await Read(command));
    }

    /// <summary>
    /// Orleans ring ranges: (begin, end] when begin &lt; end; otherwise the range wraps past the top of the ring,
    /// (begin, max] ∪ [0, end], which is the whole ring when begin == end.
    /// </summary>
    public async Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        await database.EnsureCreated();
        await using var command = database.DataSource.CreateCommand(begin < end
            ? $"select {Columns} from orleans.reminders where service_id = $1 and grain_hash > $2 and grain_hash <= $3"
            : $"select {Columns} from orleans.reminders where service_id = $1 and (grain_hash > $2 or grain_hash <= $3)");
        command.Parameters.AddWithValue(ServiceId);
        command.Parameters.AddWithValue((long)begin);
        command.Parameters.AddWithValue((long)end);
        return new ReminderTableData(await Read(command));
    }

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        await database.EnsureCreated();
        await using var command = database.DataSource.CreateCommand(
            $"select {Columns} from orleans.reminders where service_id = $1 and grain_id = $2 and reminder_name = $3");
        command.Parameters.AddWithValue(ServiceId);
        command.Parameters.AddWithValue(grainId.ToString());
        command.Parameters.AddWithValue(reminderName);
        return (await Read(command)).FirstOrDefault();
    }

    /// <summary>Insert or replace, unconditionally (as Orleans expects); every write gets a fresh etag.</summary>
    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        await database.EnsureCreated();
        await using var command = database.DataSource.CreateCommand("""
            insert into orleans.reminders (service_id, grain_id, reminder_name, grain_hash, start_at, period, etag)
            values ($1, $2, $3, $4, $5, $6, nextval('orleans.etags'))
            on conflict (service_id, grain_id, reminder_name)
            do update set start_at = excluded.start_at, period = excluded.period, etag = excluded.etag
            returning etag
            """);
        command.Parameters.AddWithValue(ServiceId);
        command.Parameters.AddWithValue(entry.GrainId.ToString());
        command.Parameters.AddWithValue(entry.ReminderName);
        command.Parameters.AddWithValue((long)entry.GrainId.GetUniformHashCode());
        command.Parameters.AddWithValue(OrleansDatabase.Utc(entry.StartAt));
        command.Parameters.AddWithValue(entry.Period);
        var etag = await command.ExecuteScalarAsync() as long?
            ?? throw new InvalidOperationException($"Upserting reminder {entry} returned no etag.");
        return Etag.Format(etag);
    }

    /// <summary>False when the reminder is gone or was written since <paramref name="eTag"/> was read.</summary>
    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        if (!Etag.TryParse(eTag, out var etag))
        {
            return false;
        }

        await database.EnsureCreated();
        await using var command = database.DataSource.CreateCommand(
            "delete from orleans.reminders where service_id = $1 and grain_id = $2 and reminder_name = $3 and etag = $4");
        command.Parameters.AddWithValue(ServiceId);
        command.Parameters.AddWithValue(grainId.ToString());
        command.Parameters.AddWithValue(reminderName);
        command.Parameters.AddWithValue(etag);
        return await command.ExecuteNonQueryAsync() == 1;
    }

    /// <summary>Clears this service's reminders only: other services may share the database.</summary>
    public async Task TestOnlyClearTable()
    {
        await database.EnsureCreated();
        await using var command = database.DataSource.CreateCommand("delete from orleans.reminders where service_id = $1");
        command.Parameters.AddWithValue(ServiceId);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<ReminderEntry>> Read(NpgsqlCommand command)
    {
        var entries = new List<ReminderEntry>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            entries.Add(new ReminderEntry
            {
                GrainId = GrainId.Parse(reader.GetString(0), CultureInfo.InvariantCulture),
                ReminderName = reader.GetString(1),
                StartAt = reader.GetFieldValue<DateTime>(2),
                Period = reader.GetFieldValue<TimeSpan>(3),
                ETag = Etag.Format(reader.GetInt64(4)),
            });
        }

        return entries;
    }
}
