using System.Globalization;
using System.Text.RegularExpressions;

namespace Orleans.Flyte.Domain.Gpus;

/// <summary>
/// What one node offers: its GPUs, each either whole or split into MIG slices. Comes from configuration in the
/// embedded default and from the node's allocatable resources and GPU feature-discovery labels on Kubernetes.
/// </summary>
/// <param name="Node">The node name (the Kubernetes node the pod is pinned to).</param>
/// <param name="Devices">Every GPU of the node, in index order.</param>
[GenerateSerializer, Immutable, Alias("flyte.GpuNodeInventory")]
public sealed record GpuNodeInventory(
    [property: Id(0)] string Node,
    [property: Id(1)] IReadOnlyList<GpuDevice> Devices)
{
    /// <summary>Whole (non-MIG) GPUs.</summary>
    public IEnumerable<GpuDevice> WholeDevices => Devices.Where(d => !d.MigEnabled);

    /// <summary>Every MIG slice with its device.</summary>
    public IEnumerable<(GpuDevice Device, MigSlice Slice)> Slices =>
        Devices.Where(d => d.MigEnabled).SelectMany(d => d.Slices.Select(s => (d, s)));

    public bool Equivalent(GpuNodeInventory other) =>
        string.Equals(Node, other.Node, StringComparison.Ordinal) && Devices.SequenceEqual(other.Devices, GpuDeviceComparer.Instance);

    private sealed class GpuDeviceComparer : IEqualityComparer<GpuDevice>
    {
        public static readonly GpuDeviceComparer Instance = new();

        public bool Equals(GpuDevice? x, GpuDevice? y) =>
            x is not null && y is not null
            && x.Id == y.Id && x.Index == y.Index && x.Model == y.Model && x.DeviceClass == y.DeviceClass
            && x.MemoryGb == y.MemoryGb && x.MigEnabled == y.MigEnabled && x.Slices.SequenceEqual(y.Slices);

        public int GetHashCode(GpuDevice obj) => obj.Id.GetHashCode(StringComparison.Ordinal);
    }
}

/// <summary>One physical GPU.</summary>
/// <param name="Id">The GPU's UUID (<c>GPU-…</c>) when known, else a stable synthetic id such as <c>dgx-01/gpu-3</c>.</param>
/// <param name="Model">Product name, e.g. <c>NVIDIA A100-SXM4-40GB</c>.</param>
/// <param name="DeviceClass">What a task's <c>gpu.class</c> names, e.g. <c>a100-40gb</c> (see <see cref="GpuDeviceClass.From"/>).</param>
/// <param name="MigEnabled">True when the GPU is split into MIG instances; it is then only handed out as slices.</param>
/// <param name="Slices">The MIG instances (empty for a whole GPU).</param>
[GenerateSerializer, Immutable, Alias("flyte.GpuDevice")]
public sealed record GpuDevice(
    [property: Id(0)] string Id,
    [property: Id(1)] int Index,
    [property: Id(2)] string Model,
    [property: Id(3)] string DeviceClass,
    [property: Id(4)] int MemoryGb,
    [property: Id(5)] bool MigEnabled,
    [property: Id(6)] IReadOnlyList<MigSlice> Slices);

/// <summary>One MIG instance.</summary>
/// <param name="Id">The MIG device UUID (<c>MIG-…</c>) when known, else a stable synthetic id.</param>
/// <param name="Profile">Normalised profile, e.g. <c>mig-3g.20gb</c> (see <see cref="Specs.GpuRequest.NormalizeProfile"/>).</param>
[GenerateSerializer, Immutable, Alias("flyte.MigSlice")]
public sealed record MigSlice(
    [property: Id(0)] string Id,
    [property: Id(1)] string Profile)
{
    /// <summary>Compute units of the profile (the <c>3</c> of <c>mig-3g.20gb</c>).</summary>
    public int ComputeUnits => GpuDeviceClass.ComputeUnits(Profile);

    /// <summary>Memory in GB of the profile (the <c>20</c> of <c>mig-3g.20gb</c>).</summary>
    public int MemoryGb => GpuDeviceClass.MemoryGb(Profile);
}

/// <summary>Turns product names into the short device classes tasks ask for.</summary>
public static partial class GpuDeviceClass
{
    /// <summary>
    /// <c>NVIDIA A100-SXM4-40GB</c> → <c>a100-40gb</c>; <c>NVIDIA-H100-80GB-HBM3</c> → <c>h100-80gb</c>;
    /// <c>Tesla-V100-SXM2-16GB</c> with 16 GB → <c>v100-16gb</c>. The memory comes from the name when it says it,
    /// else from <paramref name="memoryGb"/>.
    /// </summary>
    public static string From(string product, int memoryGb)
    {
        var model = ModelPattern().Match(product);
        var family = model.Success ? model.Groups["m"].Value.ToLowerInvariant() : Slug(product);
        var memory = MemoryPattern().Match(product);
        var gb = memory.Success ? int.Parse(memory.Groups["gb"].Value, CultureInfo.InvariantCulture) : memoryGb;
        return gb > 0 ? $"{family}-{gb}gb" : family;
    }

    public static int ComputeUnits(string profile)
    {
        var match = ProfilePattern().Match(profile);
        return match.Success ? int.Parse(match.Groups["g"].Value, CultureInfo.InvariantCulture) : 0;
    }

    public static int MemoryGb(string profile)
    {
        var match = ProfilePattern().Match(profile);
        return match.Success ? int.Parse(match.Groups["mem"].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static string Slug(string text)
    {
        var slug = NonAlphanumeric().Replace(text.ToLowerInvariant(), "-").Trim('-');
        return slug.Length == 0 ? "gpu" : slug;
    }

    [GeneratedRegex("\\b(?<m>[ABHLTVabhltv][0-9]{1,3}[a-zA-Z]?)\\b")]
    private static partial Regex ModelPattern();

    [GeneratedRegex("(?<gb>[0-9]{1,4})\\s?GB", RegexOptions.IgnoreCase)]
    private static partial Regex MemoryPattern();

    [GeneratedRegex("mig-(?<g>[0-9]+)g\\.(?<mem>[0-9]+)gb")]
    private static partial Regex ProfilePattern();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonAlphanumeric();
}
