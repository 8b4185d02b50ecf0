using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Grains.Gpus;

/// <summary>Bound from <c>Flyte:Gpus</c>: the inventory (in the embedded default) and the allocator's policy.</summary>
public sealed class GpuOptions
{
    public const string Section = "Flyte:Gpus";

    /// <summary>Where the inventory comes from: <c>configuration</c> (<see cref="Nodes"/>) or <c>kubernetes</c> (node discovery).</summary>
    public string Inventory { get; set; } = "configuration";

    /// <summary>The nodes of the configured inventory.</summary>
    public List<GpuNodeOptions> Nodes { get; set; } = [];

    public PlacementPolicy Placement { get; set; } = PlacementPolicy.BestFit;

    /// <summary>Priority of each domain's requests (production 200, staging 100, development 0 unless set).</summary>
    public Dictionary<string, int> DomainPriority { get; set; } = new(StringComparer.Ordinal);

    public TimeSpan AgeingInterval { get; set; } = TimeSpan.FromMinutes(1);

    public int AgeingBoost { get; set; } = 10;

    public TimeSpan ReserveAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Quotas applied where none was set through the API: domain (or <c>*</c>) → resource (<c>gpu</c> or a MIG
    /// profile such as <c>mig-3g.20gb</c>) → most units held at once by one project in that domain.</summary>
    public Dictionary<string, Dictionary<string, int>> DefaultQuotas { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often the allocator frees leases whose attempts ended without giving them back.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(1);

    public bool UsesConfiguredInventory => string.Equals(Inventory, "configuration", StringComparison.OrdinalIgnoreCase);

    public GpuAllocatorPolicy Policy()
    {
        var ranks = new Dictionary<string, int>(GpuAllocatorPolicy.Default.DomainRanks, StringComparer.Ordinal);
        foreach (var (domain, rank) in DomainPriority)
        {
            ranks[domain] = rank;
        }

        return new GpuAllocatorPolicy
        {
            Placement = Placement,
            DomainRanks = ranks,
            AgeingInterval = AgeingInterval,
            AgeingBoost = AgeingBoost,
            ReserveAfter = ReserveAfter,
            DefaultQuotas = DefaultQuotas.ToDictionary(
                d => d.Key,
                d => (IReadOnlyDictionary<string, int>)d.Value.ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal),
                StringComparer.Ordinal),
        };
    }

    /// <summary>The configured inventory, or the reasons it is invalid.</summary>
    public (IReadOnlyList<GpuNodeInventory> Nodes, IReadOnlyList<string> Errors) ConfiguredNodes()
    {
        var errors = new List<string>();
        var nodes = Nodes.Where(n => n.Enabled).Select(n => GpuLayout.Parse(n.Name, n.Model, n.MemoryGb, n.Gpus, errors)).ToList();
        foreach (var duplicate in nodes.GroupBy(n => n.Node, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"GPU node '{duplicate.Key}' is listed {duplicate.Count()} times");
        }

        return (nodes, errors);
    }
}

/// <summary>One node of the configured inventory.</summary>
public sealed class GpuNodeOptions
{
    public string Name { get; set; } = string.Empty;

    /// <summary>False keeps the node in the file but out of the inventory.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Product name, as <c>nvidia-smi</c> shows it.</summary>
    public string Model { get; set; } = "NVIDIA A100-SXM4-40GB";

    public int MemoryGb { get; set; } = 40;

    /// <summary>One entry per GPU in index order: <c>whole</c>, or <c>mig:</c> and its instances (<c>mig:3g.20gb,3g.20gb</c>, <c>mig:7x1g.5gb</c>).</summary>
    public List<string> Gpus { get; set; } = [];
}
