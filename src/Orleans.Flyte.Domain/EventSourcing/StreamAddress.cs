namespace Orleans.Flyte.Domain.EventSourcing;

/// <summary>
/// Where a grain's events live: a tenant (one per project/domain, or the cluster-wide tenant) and a
/// stream key unique in the whole store (keys also carry project/domain so they never collide).
/// </summary>
[GenerateSerializer, Immutable, Alias("flyte.StreamAddress")]
public sealed record StreamAddress([property: Id(0)] string Tenant, [property: Id(1)] string Key)
{
    /// <summary>The tenant of cluster-wide streams (projects, GPU nodes, the allocator).</summary>
    public const string ClusterTenant = "*DEFAULT*";

    public static string TenantOf(string project, string domain) => $"{project}/{domain}";

    public static StreamAddress Cluster(string key) => new(ClusterTenant, key);

    public override string ToString() => $"{Tenant}:{Key}";
}
