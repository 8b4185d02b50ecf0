using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Gpus;

/// <summary>
/// Reads a node's GPUs from configuration. One string per GPU, in index order: <c>whole</c>, or <c>mig:</c> and
/// its MIG instances, e.g. <c>mig:3g.20gb,2g.10gb,1g.5gb,1g.5gb</c> or <c>mig:7x1g.5gb</c>.
/// Device and instance ids are stable UUIDs derived from the node name and position, shaped like the real ones
/// (<c>GPU-…</c>, <c>MIG-…</c>), so a task sees what it would see on a real node.
/// </summary>
public static class GpuLayout
{
    public const int MaxComputeUnits = 7;

    public static GpuNodeInventory Parse(string node, string model, int memoryGb, IReadOnlyList<string> gpus, List<string> errors)
    {
        var where = $"GPU node '{node}'";
        if (node.Length is 0 or > 253 || node.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')))
        {
            errors.Add($"{where}: a node name is lower-case letters, digits, '-' and '.' (a Kubernetes node name)");
        }

        if (memoryGb <= 0)
        {
            errors.Add($"{where}: MemoryGb must be positive, not {memoryGb}");
        }

        var deviceClass = GpuDeviceClass.From(model, memoryGb);
        var devices = new List<GpuDevice>();
        for (var index = 0; index < gpus.Count; index++)
        {
            var text = gpus[index].Trim();
            var id = Uuid("GPU", $"{node}/{index}");
            if (string.Equals(text, "whole", StringComparison.OrdinalIgnoreCase))
            {
                devices.Add(new GpuDevice(id, index, model, deviceClass, memoryGb, false, []));
                continue;
            }

            if (!text.StartsWith("mig:", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{where}, GPU {index}: '{text}' is neither 'whole' nor 'mig:<profile>,<profile>,...' (e.g. mig:3g.20gb,3g.20gb or mig:7x1g.5gb)");
                continue;
            }

            var slices = new List<MigSlice>();
            var before = errors.Count;
            foreach (var part in text[4..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var (times, profileText) = SplitRepeat(part);
                var profile = GpuRequest.NormalizeProfile(profileText);
                if (profile is null || times is < 1 or > MaxComputeUnits)
                {
                    errors.Add($"{where}, GPU {index}: '{part}' is not a MIG instance; write <compute>g.<memory>gb, optionally repeated as 7x1g.5gb");
                    continue;
                }

                for (var i = 0; i < times; i++)
                {
                    slices.Add(new MigSlice(Uuid("MIG", $"{node}/{index}/{slices.Count}"), profile));
                }
            }

            var compute = slices.Sum(s => s.ComputeUnits);
            var memory = slices.Sum(s => s.MemoryGb);
            if (slices.Count == 0 && errors.Count == before)
            {
                errors.Add($"{where}, GPU {index}: a MIG-enabled GPU needs at least one instance");
            }
            else if (compute > MaxComputeUnits || memory > memoryGb)
            {
                errors.Add($"{where}, GPU {index}: the instances use {compute} compute units and {memory} GB, more than one GPU has ({MaxComputeUnits} and {memoryGb} GB)");
            }

            devices.Add(new GpuDevice(id, index, model, deviceClass, memoryGb, true, slices));
        }

        if (gpus.Count == 0)
        {
            errors.Add($"{where}: list its GPUs under Gpus (one entry per GPU: whole, or mig:<profiles>)");
        }

        return new GpuNodeInventory(node, devices);
    }

    private static (int Times, string Profile) SplitRepeat(string part)
    {
        var x = part.IndexOfAny(['x', '×', '*']);
        return x > 0 && int.TryParse(part.AsSpan(0, x), NumberStyles.None, CultureInfo.InvariantCulture, out var times)
            ? (times, part[(x + 1)..])
            : (1, part);
    }

    /// <summary>A stable UUID-shaped id: <c>GPU-1f0c…</c>.</summary>
    public static string Uuid(string prefix, string seed)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        return $"{prefix}-{new Guid(hash.AsSpan(0, 16)):D}";
    }
}
