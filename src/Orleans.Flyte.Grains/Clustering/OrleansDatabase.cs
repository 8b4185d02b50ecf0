using Npgsql;

namespace Orleans.Flyte.Grains.Clustering;

/// <summary>
/// Orleans' own tables (membership, reminders) in schema <c>orleans</c> of a PostgreSQL database, created on first
/// use. Our own schema and queries: Orleans' ADO.NET providers would need Orleans' SQL scripts installed first.
/// One instance (and so one <see cref="NpgsqlDataSource"/>) per connection string per host; see
/// <see cref="OrleansDatabases"/>.
/// </summary>
internal sealed class OrleansDatabase(NpgsqlDataSource dataSource) : IAsyncDisposable, IDisposable
{
    /// <summary>
    /// Every etag (membership versions, membership rows, reminders) comes from one sequence, so an etag is never
    /// reused: a row deleted and written again cannot be matched by an etag read before the delete.
    /// </summary>
    private const string Ddl = """
        create schema if not exists orleans;
        create sequence if not exists orleans.etags;

        create table if not exists orleans.membership_versions (
            cluster_id text   primary key,
            version    int    not null,
            etag       bigint not null);

        create table if not exists orleans.membership_silos (
            cluster_id      text        not null references orleans.membership_versions (cluster_id) on delete cascade,
            silo_address    text        not null,
            status          int         not null,
            suspect_silos   text[]      not null,
            suspect_times   timestamptz[] not null,
            proxy_port      int         not null,
            host_name       text        not null,
            silo_name       text        not null,
            role_name       text,
            update_zone     int         not null,
            fault_zone      int         not null,
            start_time      timestamptz not null,
            i_am_alive_time timestamptz not null,
            etag            bigint      not null,
            primary key (cluster_id, silo_address));

        create table if not exists orleans.reminders (
            service_id    text        not null,
            grain_id      text        not null,
            reminder_name text        not null,
            grain_hash    bigint      not null,
            start_at      timestamptz not null,
            period        interval    not null,
            etag          bigint      not null,
            primary key (service_id, grain_id, reminder_name));
        create index if not exists reminders_by_ring_position on orleans.reminders (service_id, grain_hash);
        """;

    // Arbitrary, fixed: serialises concurrent first starts of several silos on the DDL below.
    private const long DdlLockKey = 0x4F524C45414E53;

    private readonly Lock _lock = new();
    private Task? _created;

    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>Creates schema and tables once per instance; a failed attempt is retried by the next call.</summary>
    public Task EnsureCreated()
    {
        lock (_lock)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = Create(dataSource);
            }

            return _created;
        }
    }

    /// <summary>Npgsql writes <c>timestamptz</c> from UTC times only; Orleans' times are UTC but not always marked so.</summary>
    public static DateTime Utc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    };

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    // Hosts disposed synchronously (using var host = ...) dispose their singletons synchronously too.
    public void Dispose() => dataSource.Dispose();

    private static async Task Create(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        // "if not exists" is not safe against a concurrent create of the same object: take a lock first.
        await using (var lockCommand = new NpgsqlCommand("select pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue(DdlLockKey);
            await lockCommand.ExecuteNonQueryAsync();
        }

        await using (var command = new NpgsqlCommand(Ddl, connection, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }
}
