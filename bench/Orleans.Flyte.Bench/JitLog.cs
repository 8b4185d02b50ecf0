using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Orleans.Flyte.Bench;

/// <summary>
/// Diagnosis (BENCH_JITLOG=file): every method the JIT compiles while the engine bench's workload runs, with the tier it
/// was compiled for, most compiled first. How the cold-start share of the bench's CPU was found (SteadyState).
/// </summary>
internal sealed class JitLog : EventListener
{
    // MethodLoadVerbose's MethodFlags carry the optimization tier in bits 7-9.
    private static readonly string[] s_tiers = ["unknown", "min-opts", "optimized", "tier0", "tier1", "tier1-osr", "tier0-instrumented", "tier1-instrumented"];

    private readonly ConcurrentDictionary<string, int> _methods = new(StringComparer.Ordinal);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x10); // JIT keyword
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("MethodLoadVerbose", StringComparison.Ordinal) != true || eventData.Payload is not { } payload)
        {
            return;
        }

        var names = eventData.PayloadNames!;
        string Get(string name) => payload[names.IndexOf(name)]?.ToString() ?? string.Empty;
        var flags = Convert.ToInt32(payload[names.IndexOf("MethodFlags")], System.Globalization.CultureInfo.InvariantCulture);
        _methods.AddOrUpdate($"{s_tiers[(flags >> 7) & 7]}\t{Get("MethodNamespace")}::{Get("MethodName")}", 1, (_, c) => c + 1);
    }

    public void Write(string path)
    {
        var byTier = _methods.GroupBy(m => m.Key[..m.Key.IndexOf('\t', StringComparison.Ordinal)]).Select(g => $"# {g.Key}: {g.Sum(m => m.Value)}");
        File.WriteAllLines(path, byTier.Concat(_methods.OrderByDescending(m => m.Value).Select(m => $"{m.Value}\t{m.Key}")));
    }
}
