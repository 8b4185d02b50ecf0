using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Clustering;

/// <summary>
/// External clients find gateways in the silos' membership table (<see cref="ClusterOptions.ClusterId"/> of the
/// client): the proxy endpoints of the silos that are Active.
/// </summary>
internal sealed class PostgresGatewayListProvider(
    OrleansDatabases databases,
    IOptions<PostgresClusteringOptions> options,
    IOptions<ClusterOptions> cluster,
    IOptions<GatewayOptions> gateway) : IGatewayListProvider
{
    private readonly PostgresMembershipTable _membership = new(databases, options, cluster);

    public TimeSpan MaxStaleness => gateway.Value.GatewayListRefreshPeriod;

    public bool IsUpdatable => true;

    // Creates the schema if need be, but never the cluster's version row: only silos make a cluster.
    public Task InitializeGatewayListProvider() => _membership.InitializeMembershipTable(tryInitTableVersion: false);

    public async Task<IList<Uri>> GetGateways()
    {
        var table = await _membership.ReadAll();
        return [.. table.Members
            .Select(row => row.Item1)
            .Where(silo => silo.Status == SiloStatus.Active && silo.ProxyPort != 0)
            .Select(silo => SiloAddress.New(silo.SiloAddress.Endpoint.Address, silo.ProxyPort, silo.SiloAddress.Generation).ToGatewayUri())];
    }
}
