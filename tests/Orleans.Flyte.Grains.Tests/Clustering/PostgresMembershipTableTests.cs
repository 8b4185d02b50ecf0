using System.Net;
using Orleans.Flyte.Grains.Clustering;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Tests.Clustering;

/// <summary>The <see cref="IMembershipTable"/> contract Orleans' membership oracle relies on, against real PostgreSQL.</summary>
public sealed class PostgresMembershipTableTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    // Whole milliseconds: timestamptz keeps microseconds, so these round-trip exactly.
    private static readonly DateTime _t0 = new(2030, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);

    private readonly Dictionary<PostgresMembershipTable, string> _clusterIds = [];

    [Fact]
    public async Task A_fresh_cluster_reads_as_empty_with_a_version_to_write_against()
    {
        var table = await NewTable();

        var data = await table.ReadAll();

        data.Members.Should().BeEmpty();
        data.Version.Version.Should().Be(0);
        (await table.InsertRow(Entry(1), data.Version.Next())).Should().BeTrue();
    }

    [Fact]
    public async Task Insert_at_a_stale_table_version_fails_and_writes_nothing()
    {
        var table = await NewTable();
        var stale = (await table.ReadAll()).Version;
        (await table.InsertRow(Entry(1), stale.Next())).Should().BeTrue();

        var inserted = await table.InsertRow(Entry(2), stale.Next());

        inserted.Should().BeFalse();
        var data = await table.ReadAll();
        data.Members.Select(m => m.Item1.SiloAddress).Should().Equal(Address(1));
        data.Version.Version.Should().Be(1);
        data.Version.VersionEtag.Should().NotBe(stale.VersionEtag);
    }

    [Fact]
    public async Task Inserting_a_silo_twice_fails_even_at_the_current_version()
    {
        var table = await NewTable();
        (await table.InsertRow(Entry(1), (await table.ReadAll()).Version.Next())).Should().BeTrue();

        (await table.InsertRow(Entry(1, SiloStatus.Active), (await table.ReadAll()).Version.Next())).Should().BeFalse();

        (await table.ReadAll()).Members.Should().ContainSingle().Which.Item1.Status.Should().Be(SiloStatus.Joining);
    }

    [Fact]
    public async Task Update_with_a_stale_row_etag_fails_and_so_does_one_at_a_stale_table_version()
    {
        var table = await NewTable();
        (await table.InsertRow(Entry(1), (await table.ReadAll()).Version.Next())).Should().BeTrue();
        var before = await table.ReadRow(Address(1));
        var staleRowEtag = before.Members[0].Item2;
        (await table.UpdateRow(Entry(1, SiloStatus.Active), staleRowEtag, before.Version.Next())).Should().BeTrue();
        var current = await table.ReadRow(Address(1));

        var withStaleRowEtag = await table.UpdateRow(Entry(1, SiloStatus.ShuttingDown), staleRowEtag, current.Version.Next());
        var withStaleVersion = await table.UpdateRow(Entry(1, SiloStatus.ShuttingDown), current.Members[0].Item2, before.Version.Next());

        withStaleRowEtag.Should().BeFalse();
        withStaleVersion.Should().BeFalse();
        var after = await table.ReadRow(Address(1));
        after.Members.Should().ContainSingle().Which.Item1.Status.Should().Be(SiloStatus.Active);
        after.Version.Should().Be(current.Version, "a failed write changes nothing");
        (await table.UpdateRow(Entry(1, SiloStatus.Dead), current.Members[0].Item2, current.Version.Next())).Should().BeTrue();
    }

    [Fact]
    public async Task Updating_a_silo_that_was_never_inserted_fails()
    {
        var table = await NewTable();
        var version = (await table.ReadAll()).Version;

        (await table.UpdateRow(Entry(1, SiloStatus.Active), "1", version.Next())).Should().BeFalse();
        (await table.UpdateRow(Entry(1, SiloStatus.Active), "not-an-etag", version.Next())).Should().BeFalse();
    }

    [Fact]
    public async Task Of_concurrent_inserts_at_one_version_exactly_one_wins()
    {
        var table = await NewTable();
        var version = (await table.ReadAll()).Version.Next();
        using var start = new SemaphoreSlim(0);

        var attempts = Enumerable.Range(1, 16).Select(async i =>
        {
            await start.WaitAsync();
            return await table.InsertRow(Entry(i), version);
        }).ToList();
        start.Release(attempts.Count);
        var results = await Task.WhenAll(attempts);

        results.Count(won => won).Should().Be(1);
        var data = await table.ReadAll();
        data.Members.Should().ContainSingle();
        data.Version.Version.Should().Be(1);
    }

    [Fact]
    public async Task Concurrent_updates_of_one_row_at_one_version_let_exactly_one_win()
    {
        var table = await NewTable();
        (await table.InsertRow(Entry(1), (await table.ReadAll()).Version.Next())).Should().BeTrue();
        var read = await table.ReadRow(Address(1));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            table.UpdateRow(Entry(1, SiloStatus.Active, suspectedBy: i + 2), read.Members[0].Item2, read.Version.Next()))));

        results.Count(won => won).Should().Be(1);
    }

    [Fact]
    public async Task ReadAll_and_ReadRow_return_every_field_that_was_written()
    {
        var table = await NewTable();
        var full = Entry(1, SiloStatus.Active, suspectedBy: 7);
        full.RoleName = "worker";
        full.UpdateZone = 3;
        full.FaultZone = 4;
        var minimal = Entry(2);
        minimal.SuspectTimes = null;
        (await table.InsertRow(full, (await table.ReadAll()).Version.Next())).Should().BeTrue();
        (await table.InsertRow(minimal, (await table.ReadAll()).Version.Next())).Should().BeTrue();

        var all = await table.ReadAll();
        var one = await table.ReadRow(Address(1));

        all.Version.Version.Should().Be(2);
        all.Members.Select(m => m.Item1).Should().BeEquivalentTo(
            [full, minimal],
            o => o.Excluding(e => e.SuspectTimes));
        all.Members.Single(m => m.Item1.SiloAddress.Equals(Address(1))).Item1.SuspectTimes.Should().Equal(full.SuspectTimes);
        all.Members.Single(m => m.Item1.SiloAddress.Equals(Address(2))).Item1.SuspectTimes.Should().BeEmpty();
        all.Members.Select(m => m.Item2).Should().OnlyHaveUniqueItems();
        one.Members.Should().ContainSingle().Which.Item1.Should().BeEquivalentTo(full);
        one.Version.Should().Be(all.Version);
        (await table.ReadRow(Address(3))).Members.Should().BeEmpty();
    }

    [Fact]
    public async Task UpdateIAmAlive_changes_the_alive_time_only()
    {
        var table = await NewTable();
        (await table.InsertRow(Entry(1, SiloStatus.Active), (await table.ReadAll()).Version.Next())).Should().BeTrue();
        var before = await table.ReadRow(Address(1));
        var heartbeat = Entry(1, SiloStatus.Dead);
        heartbeat.IAmAliveTime = _t0.AddMinutes(5);

        await table.UpdateIAmAlive(heartbeat);

        var after = await table.ReadRow(Address(1));
        after.Members[0].Item1.IAmAliveTime.Should().Be(_t0.AddMinutes(5));
        after.Members[0].Item1.Status.Should().Be(SiloStatus.Active);
        after.Members[0].Item2.Should().Be(before.Members[0].Item2, "a heartbeat is not a membership change");
        after.Version.Should().Be(before.Version);
    }

    [Fact]
    public async Task Cleanup_removes_silos_that_are_not_active_and_silent_since_the_cutoff()
    {
        var table = await NewTable();
        var cutoff = _t0.AddHours(1);
        var longDead = Entry(1, SiloStatus.Dead);
        var recentlyDead = Entry(2, SiloStatus.Dead);
        recentlyDead.IAmAliveTime = cutoff.AddMinutes(1);
        var silentButActive = Entry(3, SiloStatus.Active);
        var restartedRecently = Entry(4, SiloStatus.Joining);
        restartedRecently.StartTime = cutoff.AddMinutes(1);
        var stuckJoining = Entry(5, SiloStatus.Joining);
        foreach (var entry in new[] { longDead, recentlyDead, silentButActive, restartedRecently, stuckJoining })
        {
            (await table.InsertRow(entry, (await table.ReadAll()).Version.Next())).Should().BeTrue();
        }

        await table.CleanupDefunctSiloEntries(new DateTimeOffset(cutoff));

        (await table.ReadAll()).Members.Select(m => m.Item1.SiloAddress)
            .Should().BeEquivalentTo([Address(2), Address(3), Address(4)]);
    }

    [Fact]
    public async Task Clusters_sharing_a_database_never_see_each_other()
    {
        var first = await NewTable();
        var second = await NewTable();
        (await first.InsertRow(Entry(1), (await first.ReadAll()).Version.Next())).Should().BeTrue();
        (await second.InsertRow(Entry(2), (await second.ReadAll()).Version.Next())).Should().BeTrue();

        await second.CleanupDefunctSiloEntries(DateTimeOffset.MaxValue);
        await second.DeleteMembershipTableEntries(ClusterIdOf(second));

        (await second.ReadAll()).Members.Should().BeEmpty();
        (await first.ReadAll()).Members.Select(m => m.Item1.SiloAddress).Should().Equal(Address(1));
    }

    [Fact]
    public async Task Deleting_a_cluster_removes_its_silos_and_version()
    {
        var table = await NewTable();
        (await table.InsertRow(Entry(1), (await table.ReadAll()).Version.Next())).Should().BeTrue();
        var stale = (await table.ReadAll()).Version;

        await table.DeleteMembershipTableEntries(ClusterIdOf(table));

        var data = await table.ReadAll();
        data.Members.Should().BeEmpty();
        data.Version.Version.Should().Be(0);
        (await table.InsertRow(Entry(2), stale.Next())).Should().BeFalse("the old version is gone with the cluster");
        await table.InitializeMembershipTable(tryInitTableVersion: true);
        (await table.InsertRow(Entry(2), (await table.ReadAll()).Version.Next())).Should().BeTrue();
    }

    private string ClusterIdOf(PostgresMembershipTable table) => _clusterIds[table];

    private async Task<PostgresMembershipTable> NewTable()
    {
        var clusterId = "members-" + Guid.NewGuid().ToString("N")[..12];
        var table = database.MembershipTable(clusterId);
        await table.InitializeMembershipTable(tryInitTableVersion: true);
        _clusterIds[table] = clusterId;
        return table;
    }

    private static SiloAddress Address(int i) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11000 + i), 42 + i);

    private static MembershipEntry Entry(int i, SiloStatus status = SiloStatus.Joining, int? suspectedBy = null) => new()
    {
        SiloAddress = Address(i),
        Status = status,
        SuspectTimes = suspectedBy is { } voter ? [Tuple.Create(Address(voter), _t0.AddSeconds(voter))] : [],
        ProxyPort = 30000 + i,
        HostName = "host-" + i,
        SiloName = "silo-" + i,
        StartTime = _t0,
        IAmAliveTime = _t0.AddSeconds(1),
    };
}
