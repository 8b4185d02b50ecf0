using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Kubernetes;

/// <summary>
/// Reads a node's GPUs from what the NVIDIA device plugin advertises in <c>status.allocatable</c>
/// (<c>nvidia.com/gpu</c>, <c>nvidia.com/mig-&lt;profile&gt;</c>) and what GPU feature discovery labels
/// (<c>nvidia.com/gpu.product</c>, <c>nvidia.com/gpu.memory</c> in MiB, <c>nvidia.com/gpu.count</c>,
/// <c>nvidia.com/mig.strategy</c>).
/// <para>Kubernetes does not say which physical GPU a MIG slice lives on, so ids are synthetic and stable for a layout:
/// whole GPUs are <c>&lt;node&gt;/gpu-0..W-1</c>, MIG-enabled GPUs follow (<c>gpu-W..N-1</c>), slices are
/// <c>&lt;node&gt;/mig-3g.20gb-0..</c> numbered per profile. Slices are spread over the MIG-enabled GPUs
/// (<c>gpu.count</c> minus whole GPUs) largest first, each onto the GPU with the most compute units left (7 per GPU), which
/// reproduces the usual layouts (e.g. 3g+2g+1g+1g, or 7 × 1g).</para>
/// </summary>
public static partial class GpuNodeConversion
{
    public const string ProductLabel = "nvidia.com/gpu.product";
    public const string MemoryLabel = "nvidia.com/gpu.memory";
    public const string CountLabel = "nvidia.com/gpu.count";
    public const string MigStrategyLabel = "nvidia.com/mig.strategy";

    private const int ComputeUnitsPerGpu = 7;

    /// <summary>The node's GPU inventory; null when the node has no NVIDIA GPUs at all.</summary>
    public static GpuNodeInventory? ToInventory(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var name = node.Metadata?.Name ?? throw new ArgumentException("The node has no name.", nameof(node));
        IDictionary<string, string> labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        var allocatable = node.Status?.Allocatable ?? new Dictionary<string, ResourceQuantity>();

        var product = (labels.TryGetValue(ProductLabel, out var p) ? p : "NVIDIA GPU");
        var memoryGb = labels.TryGetValue(MemoryLabel, out var mib) && int.TryParse(mib, NumberStyles.Integer, CultureInfo.InvariantCulture, out var m)
            ? (int)Math.Round(m / 1024.0, MidpointRounding.AwayFromZero)
            : 0;
        int? labelledCount = labels.TryGetValue(CountLabel, out var countText) && int.TryParse(countText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
        var gpus = Count(allocatable, PodBuilder.GpuResource);

        // Single strategy: every GPU is split alike, each slice advertised as nvidia.com/gpu and named in the product label.
        if (string.Equals(labels.TryGetValue(MigStrategyLabel, out var strategy) ? strategy : null, "single", StringComparison.OrdinalIgnoreCase)
            && SingleStrategyProduct().Match(product) is { Success: true } single
            && GpuRequest.NormalizeProfile(single.Groups["profile"].Value) is { } singleProfile)
        {
            var perGpu = Math.Max(1, ComputeUnitsPerGpu / Math.Max(1, GpuDeviceClass.ComputeUnits(singleProfile)));
            var physical = Math.Max(1, (gpus + perGpu - 1) / perGpu);
            var model = single.Groups["model"].Value;
            return gpus == 0 ? Empty(name) : Build(name, model, 0, 0, Enumerable.Repeat(singleProfile, gpus).ToList(), physical);
        }

        var slices = new List<string>();
        foreach (var (resource, quantity) in allocatable.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (resource.StartsWith(PodBuilder.MigResourcePrefix, StringComparison.Ordinal)
                && GpuRequest.NormalizeProfile(resource) is { } profile)
            {
                slices.AddRange(Enumerable.Repeat(profile, ToInt(quantity)));
            }
        }

        if (gpus == 0 && slices.Count == 0)
        {
            return labelledCount is > 0 || labels.ContainsKey(ProductLabel) ? Empty(name) : null;
        }

        var neededForSlices = slices.Count == 0 ? 0 : (slices.Sum(GpuDeviceClass.ComputeUnits) + ComputeUnitsPerGpu - 1) / ComputeUnitsPerGpu;
        var migGpus = slices.Count == 0 ? 0 : Math.Max(Math.Max(1, neededForSlices), (labelledCount ?? 0) - gpus);
        return Build(name, product, memoryGb, gpus, slices, migGpus);
    }

    private static GpuNodeInventory Empty(string node) => new(node, []);

    private static GpuNodeInventory Build(string node, string product, int memoryGb, int wholeGpus, List<string> slices, int migGpus)
    {
        var model = product.Replace('-', ' ');
        var deviceClass = GpuDeviceClass.From(product, memoryGb);
        var memory = memoryGb > 0 ? memoryGb : GpuDeviceMemoryFromName(deviceClass);
        var devices = new List<GpuDevice>();
        for (var i = 0; i < wholeGpus; i++)
        {
            devices.Add(new GpuDevice($"{node}/gpu-{i}", i, model, deviceClass, memory, false, []));
        }

        // Largest first, each onto the GPU with the most compute units left (ties: lowest index).
        var bins = Enumerable.Range(0, migGpus).Select(_ => new List<MigSlice>()).ToList();
        var left = Enumerable.Repeat(ComputeUnitsPerGpu, migGpus).ToArray();
        var perProfile = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var profile in slices.OrderByDescending(GpuDeviceClass.ComputeUnits).ThenBy(p => p, StringComparer.Ordinal))
        {
            var index = perProfile.GetValueOrDefault(profile);
            perProfile[profile] = index + 1;
            var target = 0;
            for (var b = 1; b < bins.Count; b++)
            {
                if (left[b] > left[target])
                {
                    target = b;
                }
            }

            left[target] -= GpuDeviceClass.ComputeUnits(profile);
            bins[target].Add(new MigSlice($"{node}/{profile}-{index.ToString(CultureInfo.InvariantCulture)}", profile));
        }

        for (var b = 0; b < bins.Count; b++)
        {
            var index = wholeGpus + b;
            devices.Add(new GpuDevice($"{node}/gpu-{index}", index, model, deviceClass, memory, true, bins[b]));
        }

        return new GpuNodeInventory(node, devices);
    }

    private static int GpuDeviceMemoryFromName(string deviceClass)
    {
        var match = ClassMemory().Match(deviceClass);
        return match.Success ? int.Parse(match.Groups["gb"].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static int Count(IDictionary<string, ResourceQuantity> allocatable, string resource) =>
        allocatable.TryGetValue(resource, out var quantity) ? ToInt(quantity) : 0;

    private static int ToInt(ResourceQuantity quantity) =>
        int.TryParse(quantity.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? Math.Max(0, value) : 0;

    [GeneratedRegex("^(?<model>.+?)-MIG-(?<profile>[0-9]+g\\.[0-9]+gb(?:\\.me)?)$", RegexOptions.IgnoreCase)]
    private static partial Regex SingleStrategyProduct();

    [GeneratedRegex("-(?<gb>[0-9]+)gb$")]
    private static partial Regex ClassMemory();
}
