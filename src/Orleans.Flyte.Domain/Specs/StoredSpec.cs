using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.LaunchPlans;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>
/// Reads back a spec the registry stored (canonical JSON that was valid when registered). One that no longer reads
/// is a platform bug, not a user mistake, so it throws with the reasons instead of returning errors.
/// </summary>
public static class StoredSpec
{
    /// <summary>At most this many characters of task spec text are kept read (about 8 MiB of keys).</summary>
    private const long MaxCachedChars = 4 * 1024 * 1024;

    private static readonly ConcurrentDictionary<string, TaskSpec> s_tasks = new(StringComparer.Ordinal);
    private static long s_cachedChars;

    /// <summary>
    /// The task spec a stored text reads as. Every node of every run of a task version carries the same text, and reading
    /// it (parse, validate) was ~3% of the engine's CPU at full load, so the reads are kept, keyed by the whole text: a
    /// text always reads the same, and <see cref="TaskSpec"/> is immutable. The cache forgets everything once it holds
    /// <see cref="MaxCachedChars"/> characters of keys.
    /// </summary>
    public static TaskSpec Task(string canonical)
    {
        ArgumentNullException.ThrowIfNull(canonical);
        if (s_tasks.TryGetValue(canonical, out var cached))
        {
            return cached;
        }

        var spec = Read(canonical, TaskSpecReader.Read, "task");
        if (Interlocked.Add(ref s_cachedChars, canonical.Length) > MaxCachedChars)
        {
            s_tasks.Clear();
            Interlocked.Exchange(ref s_cachedChars, canonical.Length);
        }

        s_tasks.TryAdd(canonical, spec);
        return spec;
    }

    public static WorkflowSpec Workflow(string canonical) => Read(canonical, WorkflowSpecReader.Read, "workflow");

    public static LaunchPlanSpec LaunchPlan(string canonical) => Read(canonical, LaunchPlanSpecReader.Read, "launch plan");

    private static T Read<T>(string canonical, Func<JsonObject, SpecResult<T>> reader, string kind)
        where T : class
    {
        var document = SpecDocument.Parse(canonical, SpecFormat.Json);
        var spec = document.IsValid ? reader(document.Value!) : null;
        return spec is { IsValid: true }
            ? spec.Value!
            : throw new InvalidOperationException($"A stored {kind} spec no longer reads as valid: " +
                string.Join("; ", (spec?.Errors ?? document.Errors).Select(e => $"{e.Pointer}: {e.Message}")));
    }
}
