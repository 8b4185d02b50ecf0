using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.LaunchPlans;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>
/// Reads back a spec the registry stored (canonical JSON that was valid when registered). One that no longer reads
/// is a platform bug, not a user mistake, so it throws with the reasons instead of returning errors.
/// </summary>
public static class StoredSpec
{
    public static TaskSpec Task(string canonical) => Read(canonical, TaskSpecReader.Read, "task");

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
