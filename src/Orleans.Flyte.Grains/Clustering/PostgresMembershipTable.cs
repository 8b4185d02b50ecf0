using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Clustering;

/// <summary>
/// Orleans cluster membership in PostgreSQL, keyed by <see cref="ClusterOptions.ClusterId"/>: one version row per
/// cluster and one row per silo. A write runs in one transaction that first locks the cluster's version row and checks
/// its etag (and, for an update, the silo row's etag), then writes the row and bumps the version: the optimistic
/// protocol Orleans' membership oracle relies on. Concurrent writers queue on the version row lock and all but the
/// first see a changed etag. A conflict returns false; it never throws.
/// </summary>
internal sealed class PostgresMembershipTable(
    OrleansDatabases databases,
    IOptions<PostgresClusteringOptions> options,
    IOptions<ClusterOptions> cluster) : IMembershipTable
{
    /// <summary>Returned while a cluster has no version row yet: no etag from the sequence can equal it.</summary>
    private const string NoVersionEtag = "0";

    private const string Columns = """
        s.silo_address, s.status, s.suspect_silos, s.suspect_times, s.proxy_port, s.host_name, s.silo_name,
        s.role_name, s.update_zone, s.fault_zone, s.start_time, s.i_am_alive_time, s.etag
        """;

    private string ClusterId => cluster.Value.ClusterId;

    // Resolved per call, not in the constructor: a missing connection string is reported by the options validator.
    private OrleansDatabase Database => databases.For(options.Value.ConnectionString);

    public async Task InitializeMembershipTable(bool tryInitTableVersion)
    {
        await Database.EnsureCreated();
        if (tryInitTableVersion)
        {
            await using var command = Database.DataSource.CreateCommand("""
                insert into orleans.membership_versions (cluster_id, version, etag)
                values ($1, 0, nextval('orleans.etags')) on conflict (cluster_id) do nothing
                """);
            command.Parameters.AddWithValue(ClusterId);
            await command.ExecuteNonQueryAsync();
        }
    }

    public async Task DeleteMembershipTableEntries(string clusterId)
    {
        await Database.EnsureCreated();

        // Silo rows go with their version row (on delete cascade).
        await using var command = Database.DataSource.CreateCommand("delete from orleans.membership_versions where cluster_id = $1");
        command.Parameters.AddWithValue(clusterId);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Removes silos that are not active and gave no sign of life (start or I-am-alive) since <paramref name="beforeDate"/>.</summary>
    public async Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate)
    {
        await Database.EnsureCreated();
        await using var command = Database.DataSource.CreateCommand("""
            delete from orleans.membership_silos
            where cluster_id = $1 and status <> $2 and greatest(start_time, i_am_alive_time) < $3
            """);
        command.Parameters.AddWithValue(ClusterId);
        command.Parameters.AddWithValue((int)SiloStatus.Active);
        command.Parameters.AddWithValue(beforeDate.UtcDateTime);
        await command.ExecuteNonQueryAsync();
    }

    public Task<MembershipTableData> ReadRow(SiloAddress key) => Read(key);

    public Task<MembershipTableData> ReadAll() => Read(null);

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) =>
        Write(entry, rowEtag: null, tableVersion);

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) =>
        Write(entry, etag, tableVersion);

    /// <summary>Only the I-am-alive time: neither the row's etag nor the table version changes (a heartbeat is no membership change).</summary>
    public async Task UpdateIAmAlive(MembershipEntry entry)
    {
        await Database.EnsureCreated();
        await using var command = Database.DataSource.CreateCommand(
            "update orleans.membership_silos set i_am_alive_time = $3 where cluster_id = $1 and silo_address = $2");
        command.Parameters.AddWithValue(ClusterId);
        command.Parameters.AddWithValue(entry.SiloAddress.ToParsableString());
        command.Parameters.AddWithValue(OrleansDatabase.Utc(entry.IAmAliveTime));
        await command.ExecuteNonQueryAsync();
    }

    private async Task<bool> Write(MembershipEntry entry, string? rowEtag, TableVersion tableVersion)
    {
        if (!Etag.TryParse(tableVersion.VersionEtag, out var expectedVersionEtag))
        {
            return false;
        }

        long expectedRowEtag = 0;
        if (rowEtag is not null && !Etag.TryParse(rowEtag, out expectedRowEtag))
        {
            return false;
        }

        await Database.EnsureCreated();
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        // The lock makes concurrent writers of one cluster take turns; each then compares the etag it read.
        await using (var version = new NpgsqlCommand(
            "select etag from orleans.membership_versions where cluster_id = $1 for update", connection, transaction))
        {
            version.Parameters.AddWithValue(ClusterId);
            if (await version.ExecuteScalarAsync() is not long currentEtag || currentEtag != expectedVersionEtag)
            {
                return false;
            }
        }

        await using (var write = new NpgsqlCommand(rowEtag is null ? InsertSql : UpdateSql, connection, transaction))
        {
            AddRowParameters(write, entry);
            if (rowEtag is not null)
            {
                write.Parameters.AddWithValue(expectedRowEtag);
            }

            if (await write.ExecuteNonQueryAsync() != 1)
            {
                return false;
            }
        }

        await using (var bump = new NpgsqlCommand(
            "update orleans.membership_versions set version = $2, etag = nextval('orleans.etags') where cluster_id = $1",
            connection,
            transaction))
        {
            bump.Parameters.AddWithValue(ClusterId);
            bump.Parameters.AddWithValue(tableVersion.Version);
            await bump.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        return true;
    }

    private const string InsertSql = """
        insert into orleans.membership_silos (
            cluster_id, silo_address, status, suspect_silos, suspect_times, proxy_port, host_name, silo_name,
            role_name, update_zone, fault_zone, start_time, i_am_alive_time, etag)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, nextval('orleans.etags'))
        on conflict (cluster_id, silo_address) do nothing
        """;

    private const string UpdateSql = """
        update orleans.membership_silos set
            status = $3, suspect_silos = $4, suspect_times = $5, proxy_port = $6, host_name = $7, silo_name = $8,
            role_name = $9, update_zone = $10, fault_zone = $11, start_time = $12, i_am_alive_time = $13,
            etag = nextval('orleans.etags')
        where cluster_id = $1 and silo_address = $2 and etag = $14
        """;

    /// <summary>$1 cluster … $13 I-am-alive time, in the order of <see cref="InsertSql"/>.</summary>
    private void AddRowParameters(NpgsqlCommand command, MembershipEntry entry)
    {
        var suspicions = entry.SuspectTimes ?? [];
        command.Parameters.AddWithValue(ClusterId);
        command.Parameters.AddWithValue(entry.SiloAddress.ToParsableString());
        command.Parameters.AddWithValue((int)entry.Status);
        command.Parameters.AddWithValue(NpgsqlDbType.Array | NpgsqlDbType.Text, suspicions.Select(s => s.Item1.ToParsableString()).ToArray());
        command.Parameters.AddWithValue(NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, suspicions.Select(s => OrleansDatabase.Utc(s.Item2)).ToArray());
        command.Parameters.AddWithValue(entry.ProxyPort);
        command.Parameters.AddWithValue(entry.HostName ?? string.Empty);
        command.Parameters.AddWithValue(entry.SiloName ?? string.Empty);
        command.Parameters.AddWithValue(NpgsqlDbType.Text, (object?)entry.RoleName ?? DBNull.Value);
        command.Parameters.AddWithValue(entry.UpdateZone);
        command.Parameters.AddWithValue(entry.FaultZone);
        command.Parameters.AddWithValue(OrleansDatabase.Utc(entry.StartTime));
        command.Parameters.AddWithValue(OrleansDatabase.Utc(entry.IAmAliveTime));
    }

    /// <summary>One statement, so the version and the rows come from one snapshot.</summary>
    private async Task<MembershipTableData> Read(SiloAddress? key)
    {
        await Database.EnsureCreated();
        await using var command = Database.DataSource.CreateCommand($"""
            select v.version, v.etag, {Columns}
            from orleans.membership_versions v
            left join orleans.membership_silos s on s.cluster_id = v.cluster_id {(key is null ? string.Empty : "and s.silo_address = $2")}
            where v.cluster_id = $1
            """);
        command.Parameters.AddWithValue(ClusterId);
        if (key is not null)
        {
            command.Parameters.AddWithValue(key.ToParsableString());
        }

        var rows = new List<Tuple<MembershipEntry, string>>();
        var version = new TableVersion(0, NoVersionEtag);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            version = new TableVersion(reader.GetInt32(0), Etag.Format(reader.GetInt64(1)));
            if (!await reader.IsDBNullAsync(2))
            {
                rows.Add(Tuple.Create(ReadEntry(reader, offset: 2), Etag.Format(reader.GetInt64(14))));
            }
        }

        return new MembershipTableData(rows, version);
    }

    private static MembershipEntry ReadEntry(NpgsqlDataReader reader, int offset)
    {
        var suspectSilos = reader.GetFieldValue<string[]>(offset + 2);
        var suspectTimes = reader.GetFieldValue<DateTime[]>(offset + 3);
        return new MembershipEntry
        {
            SiloAddress = SiloAddress.FromParsableString(reader.GetString(offset)),
            Status = (SiloStatus)reader.GetInt32(offset + 1),
            SuspectTimes = [.. suspectSilos.Zip(suspectTimes, (silo, at) => Tuple.Create(SiloAddress.FromParsableString(silo), at))],
            ProxyPort = reader.GetInt32(offset + 4),
            HostName = reader.GetString(offset + 5),
            SiloName = reader.GetString(offset + 6),
            RoleName = reader.IsDBNull(offset + 7) ? null : reader.GetString(offset + 7),
            UpdateZone = reader.GetInt32(offset + 8),
            FaultZone = reader.GetInt32(offset + 9),
            StartTime = reader.GetFieldValue<DateTime>(offset + 10),
            IAmAliveTime = reader.GetFieldValue<DateTime>(offset + 11),
        };
    }
}
