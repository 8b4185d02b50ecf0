using Npgsql;

namespace Orleans.Flyte.Grains.Clustering;

/// <summary>
/// Orleans' own tables (membership, reminders) in schema <c>orleans</c> of the platform's PostgreSQL, created on
/// first use. Our own schema and queries: Orleans' ADO.NET providers would need Orleans' SQL scripts installed.
/// </summary>
internal sealed class PostgresSchema(NpgsqlDataSource dataSource)
{
    private const string Ddl = """
        create schema if not exists orleans;
        create table if not exists orleans.reminders (
            service_id    text        not null,
            grain_id      text        not null,
            reminder_name text        not null,
            grain_hash    bigint      not null,
            start_at      timestamptz not null,
            period_ms     bigint      not null,
            etag          bigint      not null,
            primary key (service_id, grain_id, reminder_name));
        create index if not exists reminders_by_hash on orleans.reminders (service_id, grain_hash);
        create table if not exists orleans.membership_version (
            cluster_id text   primary key,
            version    int    not null,
            etag       bigint not null);
        create table if not exists orleans.membership (
            cluster_id  text        not null,
            address     text        not null,
            entry       jsonb       not null,
            i_am_alive  timestamptz not null,
            status      int         not null,
            etag        bigint      not null,
            primary key (cluster_id, address));
        """;

    private readonly Lazy<Task> _created = new(() => Create(dataSource), LazyThreadSafetyMode.ExecutionAndPublication);

    public NpgsqlDataSource DataSource => dataSource;

    public Task EnsureCreated() => _created.Value;

    private static async Task Create(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        // Several silos start at once: serialize the DDL so concurrent "if not exists" cannot collide.
        await using (var lockCommand = new NpgsqlCommand("select pg_advisory_xact_lock(7261001)", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync();
        }

        await using (var command = new NpgsqlCommand(Ddl, connection, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }
}
