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
    private static readonly ReadCache<TaskSpec> s_tasks = new("task", TaskSpecReader.Read);
    private static readonly ReadCache<WorkflowSpec> s_workflows = new("workflow", WorkflowSpecReader.Read);

    /// <summary>
    /// The task spec a stored text reads as. Every node of every run of a task version carries the same text, and reading
    /// it (parse, validate) was ~3% of the engine's CPU at full load, so the reads are kept (<see cref="ReadCache{T}"/>).
    /// </summary>
    public static TaskSpec Task(string canonical) => s_tasks.Get(canonical);

    /// <summary>The workflow spec a stored text reads as; every submission of a workflow version reads the same text (~2%
    /// of a submission's CPU), so the reads are kept like the tasks'.</summary>
    public static WorkflowSpec Workflow(string canonical) => s_workflows.Get(canonical);

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

    /// <summary>
    /// Reads kept, keyed by the whole text: a text always reads the same, and the specs are immutable. The cache forgets
    /// everything once it holds <see cref="MaxCachedChars"/> characters of keys, so its memory is bounded whatever is
    /// registered.
    /// </summary>
    private sealed class ReadCache<T>(string kind, Func<JsonObject, SpecResult<T>> reader)
        where T : class
    {
        /// <summary>At most this many characters of spec text are kept read (about 8 MiB of keys).</summary>
        private const long MaxCachedChars = 4 * 1024 * 1024;

        private readonly ConcurrentDictionary<string, T> _read = new(StringComparer.Ordinal);
        private long _cachedChars;

        public T Get(string canonical)
        {
            ArgumentNullException.ThrowIfNull(canonical);
            if (_read.TryGetValue(canonical, out var cached))
            {
                return cached;
            }

            var spec = Read(canonical, reader, kind);
            if (Interlocked.Add(ref _cachedChars, canonical.Length) > MaxCachedChars)
            {
                _read.Clear();
                Interlocked.Exchange(ref _cachedChars, canonical.Length);
            }

            _read.TryAdd(canonical, spec);
            return spec;
        }
    }
}
