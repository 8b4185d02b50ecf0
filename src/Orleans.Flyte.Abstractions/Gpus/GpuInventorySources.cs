namespace Orleans.Flyte.Abstractions.Gpus;

/// <summary>
/// Who reports or changes a GPU node, as node views and events record it. A source's cordon is lifted only by that
/// source, so an administrator's cordon survives the inventory source seeing the node schedulable again.
/// </summary>
public static class GpuInventorySources
{
    /// <summary>An administrator, through the API (cordon, uncordon, remove).</summary>
    public const string Admin = "admin";

    /// <summary>The configured inventory (<c>Flyte:Gpus:Nodes</c>), the embedded default.</summary>
    public const string Configuration = "configuration";

    /// <summary>Kubernetes node discovery.</summary>
    public const string Kubernetes = "kubernetes";
}
