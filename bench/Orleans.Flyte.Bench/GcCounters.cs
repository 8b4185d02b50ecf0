using System.Diagnostics;
using System.Runtime;

namespace Orleans.Flyte.Bench;

/// <summary>The garbage collector's counters over a bench's measured window, and the settings it ran with.</summary>
internal readonly record struct GcCounters(long Allocated, TimeSpan Paused, int Gen0, int Gen2)
{
    public static GcCounters Read() => new(GC.GetTotalAllocatedBytes(), GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(2));

    public static GcCounters operator -(GcCounters a, GcCounters b) =>
        new(a.Allocated - b.Allocated, a.Paused - b.Paused, a.Gen0 - b.Gen0, a.Gen2 - b.Gen2);

    /// <summary>One line of a bench's output: garbage per unit, collections, pauses against <paramref name="elapsed"/>.</summary>
    public string Describe(int units, string unit, TimeSpan elapsed) =>
        $"{Allocated / 1024.0 / units:F1} KiB allocated per {unit}, {Gen0} gen0 / {Gen2} gen2 collections, paused {Paused.TotalMilliseconds:F0} ms " +
        $"({100 * Paused.TotalSeconds / elapsed.TotalSeconds:F1}% of the time; {(GCSettings.IsServerGC ? "server" : "workstation")} GC, DATAS " +
        $"{Environment.GetEnvironmentVariable("DOTNET_GCDynamicAdaptationMode") ?? AppContext.GetData("System.GC.DynamicAdaptationMode")?.ToString() ?? "default (on)"}; " +
        $"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB)";
}
