using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Orleans.Flyte.Grains.Observability;

/// <summary>
/// Launch plans whose schedule is firing, among those active on this silo. A firing plan keeps its activation alive
/// (its poll timer), so the activations are the schedules: each silo counts its own, and <c>sum()</c> over silos gives the
/// cluster's. A plan that deactivates (moves, or stops firing) leaves the count.
/// </summary>
public sealed class ActiveSchedules
{
    private readonly ConcurrentDictionary<string, (string Project, string Domain)> _firing = new(StringComparer.Ordinal);

    public void Set(string key, string project, string domain, bool firing)
    {
        if (firing)
        {
            _firing[key] = (project, domain);
        }
        else
        {
            _firing.TryRemove(key, out _);
        }
    }

    internal IEnumerable<Measurement<long>> Read() =>
        _firing.Values.GroupBy(v => v).Select(g => new Measurement<long>(g.Count(),
            new KeyValuePair<string, object?>("project", g.Key.Project), new KeyValuePair<string, object?>("domain", g.Key.Domain)));
}
