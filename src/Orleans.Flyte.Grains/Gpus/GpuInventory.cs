using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Gpus;

/// <summary>Keeps one <see cref="IGpuNodeGrain"/> per node in step with what inventory sources report.</summary>
public sealed class GrainGpuInventorySink(IGrainFactory grains) : IGpuInventorySink
{
    public Task NodeSeenAsync(GpuNodeInventory inventory, bool schedulable, string source, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IGpuNodeGrain>(inventory.Node).Sync(inventory, schedulable, source);

    public Task NodeGoneAsync(string node, string source, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IGpuNodeGrain>(node).Remove(source);
}

/// <summary>
/// The embedded default's inventory: the nodes of <c>Flyte:Gpus:Nodes</c>, reported once the silo is active.
/// An invalid inventory stops the silo with every problem listed. Nodes that were configured before but are no
/// longer are left as they are (a node grain does not know which source lists it); remove them through the API.
/// </summary>
public sealed class ConfiguredGpuInventory(IOptions<GpuOptions> options, IGpuInventorySink sink, ILogger<ConfiguredGpuInventory> log)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public const string Source = GpuInventorySources.Configuration;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ConfiguredGpuInventory), ServiceLifecycleStage.Active, ReportAsync);

    private async Task ReportAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.UsesConfiguredInventory)
        {
            return;
        }

        var (nodes, errors) = options.Value.ConfiguredNodes();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(GpuOptions.Section, typeof(GpuOptions), errors);
        }

        foreach (var node in nodes)
        {
            await sink.NodeSeenAsync(node, schedulable: true, Source, cancellationToken);
        }

        if (nodes.Count > 0)
        {
            log.LogInformation("GPU inventory from configuration: {Nodes} nodes, {Devices} GPUs, {Slices} MIG slices",
                nodes.Count, nodes.Sum(n => n.Devices.Count), nodes.Sum(n => n.Slices.Count()));
        }
    }
}
