using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Clustering;

/// <summary>
/// Durable Orleans reminders in PostgreSQL, so active executions are carried on after any silo dies.
/// Rows are keyed by service id, grain and name; the grain's uniform hash is stored for the range reads that
/// spread reminders over the silos of the ring.
/// </summary>
internal sealed class PostgresReminderTable(PostgresSchema schema, IOptions<ClusterOptions> cluster) : IReminderTable
{
    private string ServiceId => cluster.Value.ServiceId;

    public async Task<ReminderTableData> ReadRows(GrainId grainId)
    {
        await schema.EnsureCreated();
        await using var command = schema.DataSource.CreateCommand(
            "select grain_id, reminder_name, start_at, period_ms, etag from orleans.reminders where service_id = $1 and grain_id = $2");
        command.Parameters.AddWithValue(ServiceId);
        command.Parameters.AddWithValue(grainId.ToString());
        return new ReminderTableData(await Read(command));
    }

    public async Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        await schema.EnsureCreated();

        // Orleans' ring ranges are (begin, end]; when begin >= end the range wraps around zero.
        var sql = begin < end
            ? "select grain_id, reminder_name, start_at, period_ms, etag from orleans.reminders where service_id = $1 and grain_hash > $2 and grain_hash <= $3"
            : "select grain_id, reminder_name, start_at, period_ms, etag from orleans.reminders where service_id = $1 and (grain_hash > $2 or grain_hash <= $3)";
        await using var command = schema.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(ServiceId);
        command.Parameters.AddWithValue((long)begin);
        command.Parameters.AddWithValue((long)end);
        return new ReminderTableData(await Read(command));
    }

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        await schema.EnsureCreated();
        await using var command = schema.DataSource.CreateCommand(
            "select grain_id, reminder_name, start_at, period_ms, etag from orleans.reminders where service_id = $1 and grain_id = $2 and reminder_name = $3");
        command.Parameters.AddWithValue(ServiceId);
        command.Parameters.AddWithValue(grainId.ToString());
        command.Parameters.AddWithValue(reminderName);
        return (await Read(command)).FirstOrDefault();
    }

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        await schema.EnsureCreated();
        await using var command = schema.DataSource.CreateCommand("""
            insert into orleans.reminders (service_id, grain_id, reminder_name, grain_hash, start_at, period_ms, etag)
            values ($1, $2, $3, $4, $5, $6, 1)
            on conflict (service_id, grain_id, reminder_name)
            do update set start_at = excluded.start_at, period_ms = excluded.period_ms, etag = orleans.reminders.etag + 1
            returning etag
            """);
        command.Parameters.AddWithValue(ServiceId);
        command.Parameters.AddWithValue(entry.GrainId.ToString());
        command.Parameters.AddWithValue(entry.ReminderName);
        command.Parameters.AddWithValue((long)entry.GrainId.GetUniformHashCode());
        command.Parameters.AddWithValue(DateTime.SpecifyKind(entry.StartAt, DateTimeKind.Utc));
        command.Parameters.AddWithValue((long)entry.Period.TotalMilliseconds);
        var etag = (long)(await command.ExecuteScalarAsync())!;
        return etag.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        await schema.EnsureCreated();
        if (!long.TryParse(eTag, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var etag))
        {
            return false;
        }

        await using var command = schema.DataSource.CreateCommand(
            "delete from orleans.reminders where service_id = $1 and grain_id = $2 and reminder_name = $3 and etag = $4");
        command.Parameters.AddWithValue(ServiceId);
        command.Parameters.AddWithValue(grainId.ToString());
        command.Parameters.AddWithValue(reminderName);
        command.Parameters.AddWithValue(etag);
        return await command.ExecuteNonQueryAsync() == 1;
    }

    public async Task TestOnlyClearTable()
    {
        await schema.EnsureCreated();
        await using var command = schema.DataSource.CreateCommand("delete from orleans.reminders where service_id = $1");
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
                GrainId = GrainId.Parse(reader.GetString(0), System.Globalization.CultureInfo.InvariantCulture),
                ReminderName = reader.GetString(1),
                StartAt = reader.GetFieldValue<DateTime>(2),
                Period = TimeSpan.FromMilliseconds(reader.GetInt64(3)),
                ETag = reader.GetInt64(4).ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }

        return entries;
    }
}
