using System.Net;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Tests.Clustering;

/// <summary>What an external client is told about gateways, read from the silos' membership table.</summary>
public sealed class PostgresGatewayListProviderTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly DateTime _t0 = new(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    [Fact]
    public async Task A_client_before_any_silo_sees_no_gateways_and_creates_no_cluster()
    {
        var clusterId = NewClusterId();
        var gateways = database.GatewayListProvider(clusterId);

        await gateways.InitializeGatewayListProvider();

        (await gateways.GetGateways()).Should().BeEmpty();
        var silo = database.MembershipTable(clusterId);
        (await silo.InsertRow(Entry(1, SiloStatus.Joining), (await silo.ReadAll()).Version.Next()))
            .Should().BeFalse("only a silo's InitializeMembershipTable(true) creates the cluster's version");
    }

    [Fact]
    public async Task Only_active_silos_of_the_clients_cluster_are_gateways_at_their_proxy_port()
    {
        var clusterId = NewClusterId();
        var silos = database.MembershipTable(clusterId);
        await silos.InitializeMembershipTable(tryInitTableVersion: true);
        var other = database.MembershipTable(NewClusterId());
        await other.InitializeMembershipTable(tryInitTableVersion: true);
        (await other.InsertRow(Entry(9, SiloStatus.Active), (await other.ReadAll()).Version.Next())).Should().BeTrue();
        foreach (var (i, status) in new[] { (1, SiloStatus.Active), (2, SiloStatus.Joining), (3, SiloStatus.Dead), (4, SiloStatus.Active) })
        {
            (await silos.InsertRow(Entry(i, status), (await silos.ReadAll()).Version.Next())).Should().BeTrue();
        }

        var gateways = database.GatewayListProvider(clusterId);
        await gateways.InitializeGatewayListProvider();

        (await gateways.GetGateways()).Should().BeEquivalentTo([GatewayUri(1), GatewayUri(4)]);
        gateways.IsUpdatable.Should().BeTrue();
    }

    private static string NewClusterId() => "gateways-" + Guid.NewGuid().ToString("N")[..12];

    private static Uri GatewayUri(int i) => SiloAddress.New(IPAddress.Loopback, 30000 + i, 42 + i).ToGatewayUri();

    private static MembershipEntry Entry(int i, SiloStatus status) => new()
    {
        SiloAddress = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11000 + i), 42 + i),
        Status = status,
        SuspectTimes = [],
        ProxyPort = 30000 + i,
        HostName = "host-" + i,
        SiloName = "silo-" + i,
        StartTime = _t0,
        IAmAliveTime = _t0,
    };
}
