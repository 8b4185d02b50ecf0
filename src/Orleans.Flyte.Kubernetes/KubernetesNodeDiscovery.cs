using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Kubernetes;

/// <summary>
/// Keeps the GPU inventory in step with the cluster's nodes: lists them, then watches from the list's resourceVersion
/// (listing again after 410 Gone or an error), and reports each GPU node to the <see cref="IGpuInventorySink"/>:
/// <see cref="IGpuInventorySink.NodeSeenAsync"/> when it appears or changes (schedulable is <c>!spec.unschedulable</c>),
/// <see cref="IGpuInventorySink.NodeGoneAsync"/> when it is deleted or missing from a relist. Nodes without GPUs are not
/// reported, unless they had GPUs before (then with an empty inventory).
/// </summary>
public sealed class KubernetesNodeDiscovery(IKubernetes client, IGpuInventorySink sink, IOptions<KubernetesOptions> options, TimeProvider clock, ILogger<KubernetesNodeDiscovery> log)
    : BackgroundService
{
    public const string Source = GpuInventorySources.Kubernetes;

    /// <summary>What was last reported per node, so unchanged nodes are not reported again on every heartbeat.</summary>
    private readonly Dictionary<string, (GpuNodeInventory Inventory, bool Schedulable)> _reported = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var list = await client.CoreV1.ListNodeAsync(cancellationToken: stoppingToken);
                var present = new HashSet<string>(StringComparer.Ordinal);
                foreach (var node in list.Items)
                {
                    present.Add(node.Metadata.Name);
                    await SeenAsync(node, stoppingToken);
                }

                foreach (var gone in _reported.Keys.Where(n => !present.Contains(n)).ToList())
                {
                    await GoneAsync(gone, stoppingToken);
                }

                var resourceVersion = list.Metadata?.ResourceVersion;
                while (!stoppingToken.IsCancellationRequested)
                {
                    var expired = false;
                    var events = client.CoreV1.WatchListNodeAsync(
                        resourceVersion: resourceVersion,
                        allowWatchBookmarks: true,
                        timeoutSeconds: settings.WatchTimeoutSeconds,
                        onError: ex =>
                        {
                            if (ex is KubernetesException { Status.Code: 410 })
                            {
                                expired = true;
                            }
                            else
                            {
                                log.LogWarning(ex, "Node watch: error event");
                            }
                        },
                        cancellationToken: stoppingToken);
                    await foreach (var (type, node) in events.WithCancellation(stoppingToken))
                    {
                        resourceVersion = node.Metadata?.ResourceVersion ?? resourceVersion;
                        switch (type)
                        {
                            case WatchEventType.Added or WatchEventType.Modified:
                                await SeenAsync(node, stoppingToken);
                                break;
                            case WatchEventType.Deleted when node.Metadata?.Name is not null:
                                await GoneAsync(node.Metadata.Name, stoppingToken);
                                break;
                        }
                    }

                    if (expired)
                    {
                        log.LogInformation("Node watch expired (410 Gone): listing again");
                        break;
                    }
                }
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Gone)
            {
                // List again at once.
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(ex, "Node discovery failed; listing again in {Delay}", settings.WatchRetryDelay);
                try
                {
                    await Task.Delay(settings.WatchRetryDelay, clock, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SeenAsync(V1Node node, CancellationToken cancellationToken)
    {
        var name = node.Metadata.Name;
        var inventory = GpuNodeConversion.ToInventory(node);
        if (inventory is null)
        {
            if (!_reported.ContainsKey(name))
            {
                return;
            }

            inventory = new GpuNodeInventory(name, []);
        }

        var schedulable = node.Spec?.Unschedulable != true;
        if (_reported.TryGetValue(name, out var last) && last.Schedulable == schedulable && last.Inventory.Equivalent(inventory))
        {
            return;
        }

        await sink.NodeSeenAsync(inventory, schedulable, Source, cancellationToken);
        _reported[name] = (inventory, schedulable);
        log.LogInformation("Node {Node}: {Devices} GPUs, {Slices} MIG slices, schedulable {Schedulable}", name, inventory.Devices.Count, inventory.Slices.Count(), schedulable);
    }

    private async Task GoneAsync(string name, CancellationToken cancellationToken)
    {
        if (!_reported.Remove(name))
        {
            return;
        }

        await sink.NodeGoneAsync(name, Source, cancellationToken);
        log.LogInformation("Node {Node} is gone", name);
    }
}
