using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Clustering;

/// <summary>
/// Orleans cluster membership in PostgreSQL: one version row per cluster and one row per silo. Inserts and updates
/// are conditional on the table version's etag (and the row's etag), in one transaction that locks the version row,
/// which is exactly the optimistic protocol Orleans' membership oracle expects. A conflict returns false; it never throws.
/// </summary>
internal sealed class PostgresMembershipTable(PostgresSchema schema, IOptions<ClusterOptions> cluster) : IMembershipTable
{
    private string ClusterId => cluster.Value.ClusterId;

    public async Task InitializeMembershipTable(bool tryInitTableVersion)
    {
        await schema.EnsureCreated();
        if (tryInitTableVersion)
        {
            await using var command = schema.DataSource.CreateCommand(
                "insert into orleans.membership_version (cluster_id, version, etag) values ($1, 0, 0) on conflict do nothing");
            command.Parameters.AddWithValue(ClusterId);
            await command.ExecuteNonQueryAsync();
        }
    }

    public async Task DeleteMembershipTableEntries(string clusterId)
    {
        await schema.EnsureCreated();
        await using var command = schema.DataSource.CreateCommand(
            "delete from orleans.membership where cluster_id = $1; delete from orleans.membership_version where cluster_id = $1");
        command.Parameters.AddWithValue(clusterId);
        await command.ExecuteNonQueryAsync();
    }

    public async Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate)
    {
        await schema.EnsureCreated();
        await using var command = schema.DataSource.CreateCommand(
            "delete from orleans.membership where cluster_id = $1 and status = $2 and i_am_alive < $3");
        command.Parameters.AddWithValue(ClusterId);
        command.Parameters.AddWithValue((int)SiloStatus.Dead);
        command.Parameters.AddWithValue(beforeDate.UtcDateTime);
        await command.ExecuteNonQueryAsync();
    }

    public Task<MembershipTableData> ReadRow(SiloAddress key) => Read(key);

    public Task<MembershipTableData> ReadAll() => Read(null);

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) =>
        Write(entry, tableVersion, rowEtag: null);

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) =>
        Write(entry, tableVersion, etag);

    public async Task UpdateIAmAlive(MembershipEntry entry)
    {
        await using var command = schema.DataSource.CreateCommand(
            "update orleans.membership set i_am_alive = $3 where cluster_id = $1 and address = $2");
        command.Parameters.AddWithValue(ClusterId);
        command.Parameters.AddWithValue(entry.SiloAddress.ToParsableString());
        command.Parameters.AddWithValue(DateTime.SpecifyKind(entry.IAmAliveTime, DateTimeKind.Utc));
        await command.ExecuteNonQueryAsync();
    }

    private async Task<bool> Write(MembershipEntry entry, TableVersion tableVersion, string? rowEtag)
    {
        await schema.EnsureCreated();
        await using var connection = await schema.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var version = new NpgsqlCommand("select etag from orleans.membership_version where cluster_id = $1 for update", connection, transaction))
        {
            version.Parameters.AddWithValue(ClusterId);
            if (await version.ExecuteScalarAsync() is not long currentEtag || currentEtag.ToString(CultureInfo.InvariantCulture) != tableVersion.VersionEtag)
            {
                return false;
            }
        }

        var address = entry.SiloAddress.ToParsableString();
        int changed;
        if (rowEtag is null)
        {
            await using var insert = new NpgsqlCommand("""
                insert into orleans.membership (cluster_id, address, entry, i_am_alive, status, etag)
                values ($1, $2, $3::jsonb, $4, $5, 0) on conflict do nothing
                """, connection, transaction);
            Parameters(insert, address, entry);
            changed = await insert.ExecuteNonQueryAsync();
        }
        else
        {
            if (!long.TryParse(rowEtag, NumberStyles.None, CultureInfo.InvariantCulture, out var expected))
            {
                return false;
            }

            await using var update = new NpgsqlCommand("""
                update orleans.membership set entry = $3::jsonb, i_am_alive = $4, status = $5, etag = etag + 1
                where cluster_id = $1 and address = $2 and etag = $6
                """, connection, transaction);
            Parameters(update, address, entry);
            update.Parameters.AddWithValue(expected);
            changed = await update.ExecuteNonQueryAsync();
        }

        if (changed != 1)
        {
            return false;
        }

        await using (var bump = new NpgsqlCommand("update orleans.membership_version set version = $2, etag = etag + 1 where cluster_id = $1", connection, transaction))
        {
            bump.Parameters.AddWithValue(ClusterId);
            bump.Parameters.AddWithValue(tableVersion.Version);
            await bump.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        return true;
    }

    /// <summary>$1 cluster, $2 address, $3 entry, $4 i-am-alive, $5 status.</summary>
    private void Parameters(NpgsqlCommand command, string address, MembershipEntry entry)
    {
        command.Parameters.AddWithValue(ClusterId);
        command.Parameters.AddWithValue(address);
        command.Parameters.AddWithValue(JsonSerializer.Serialize(MembershipRow.From(entry)));
        command.Parameters.AddWithValue(DateTime.SpecifyKind(entry.IAmAliveTime, DateTimeKind.Utc));
        command.Parameters.AddWithValue((int)entry.Status);
    }

    private async Task<MembershipTableData> Read(SiloAddress? key)
    {
        await schema.EnsureCreated();
        await using var connection = await schema.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        TableVersion version;
        await using (var command = new NpgsqlCommand("select version, etag from orleans.membership_version where cluster_id = $1", connection, transaction))
        {
            command.Parameters.AddWithValue(ClusterId);
            await using var reader = await command.ExecuteReaderAsync();
            version = await reader.ReadAsync()
                ? new TableVersion(reader.GetInt32(0), reader.GetInt64(1).ToString(CultureInfo.InvariantCulture))
                : new TableVersion(0, "0");
        }

        var rows = new List<Tuple<MembershipEntry, string>>();
        await using (var command = new NpgsqlCommand(
            key is null
                ? "select entry, i_am_alive, etag from orleans.membership where cluster_id = $1"
                : "select entry, i_am_alive, etag from orleans.membership where cluster_id = $1 and address = $2",
            connection,
            transaction))
        {
            command.Parameters.AddWithValue(ClusterId);
            if (key is not null)
            {
                command.Parameters.AddWithValue(key.ToParsableString());
            }

            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var entry = MembershipRow.ToEntry(JsonSerializer.Deserialize<MembershipRow>(reader.GetString(0))!);
                entry.IAmAliveTime = reader.GetFieldValue<DateTime>(1);
                rows.Add(Tuple.Create(entry, reader.GetInt64(2).ToString(CultureInfo.InvariantCulture)));
            }
        }

        await transaction.CommitAsync();
        return new MembershipTableData(rows, version);
    }
}

/// <summary>The stored form of a <see cref="MembershipEntry"/>.</summary>
internal sealed record MembershipRow(
    string SiloAddress,
    int Status,
    List<MembershipSuspicion>? SuspectTimes,
    int ProxyPort,
    string? HostName,
    string? SiloName,
    string? RoleName,
    int UpdateZone,
    int FaultZone,
    DateTime StartTime,
    DateTime IAmAliveTime)
{
    public static MembershipRow From(MembershipEntry e) => new(
        e.SiloAddress.ToParsableString(),
        (int)e.Status,
        e.SuspectTimes?.Select(s => new MembershipSuspicion(s.Item1.ToParsableString(), s.Item2)).ToList(),
        e.ProxyPort,
        e.HostName,
        e.SiloName,
        e.RoleName,
        e.UpdateZone,
        e.FaultZone,
        e.StartTime,
        e.IAmAliveTime);

    public static MembershipEntry ToEntry(MembershipRow r) => new()
    {
        SiloAddress = Runtime.SiloAddress.FromParsableString(r.SiloAddress),
        Status = (SiloStatus)r.Status,
        SuspectTimes = r.SuspectTimes?.Select(s => Tuple.Create(Runtime.SiloAddress.FromParsableString(s.Silo), s.At)).ToList() ?? [],
        ProxyPort = r.ProxyPort,
        HostName = r.HostName ?? string.Empty,
        SiloName = r.SiloName ?? string.Empty,
        RoleName = r.RoleName,
        UpdateZone = r.UpdateZone,
        FaultZone = r.FaultZone,
        StartTime = r.StartTime,
        IAmAliveTime = r.IAmAliveTime,
    };
}

internal sealed record MembershipSuspicion(string Silo, DateTime At);

/// <summary>Gateways for external clients: the proxy endpoints of active silos.</summary>
internal sealed class PostgresGatewayListProvider(PostgresMembershipTable table, IOptions<GatewayOptions> gateway) : Orleans.Messaging.IGatewayListProvider
{
    public TimeSpan MaxStaleness => gateway.Value.GatewayListRefreshPeriod;

    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => table.InitializeMembershipTable(false);

    public async Task<IList<Uri>> GetGateways()
    {
        var all = await table.ReadAll();
        return [.. all.Members
            .Where(m => m.Item1.Status == SiloStatus.Active && m.Item1.ProxyPort != 0)
            .Select(m => Runtime.SiloAddress.New(new IPEndPoint(m.Item1.SiloAddress.Endpoint.Address, m.Item1.ProxyPort), m.Item1.SiloAddress.Generation).ToGatewayUri())];
    }
}
