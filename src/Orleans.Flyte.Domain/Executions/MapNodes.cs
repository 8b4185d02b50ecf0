using System.Globalization;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Executions;

/// <summary>The task node id of one element of a map node: <c>{node}[{index}]</c>, which no plain node id can be.</summary>
public static class MapElements
{
    public static string TaskNodeId(string nodeId, int index) => $"{nodeId}[{index.ToString(CultureInfo.InvariantCulture)}]";

    public static bool TryParse(string taskNodeId, out string nodeId, out int index)
    {
        nodeId = string.Empty;
        index = -1;
        var open = taskNodeId.IndexOf('[', StringComparison.Ordinal);
        if (open <= 0 || !taskNodeId.EndsWith(']')
            || !int.TryParse(taskNodeId.AsSpan(open + 1, taskNodeId.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            return false;
        }

        nodeId = taskNodeId[..open];
        return true;
    }
}

/// <summary>
/// What a map node does (issue 17). Ready: resolve the list, record it, start the first elements. Pacing: at most the
/// node's <c>concurrency</c> elements are in flight (started, not ended), and one step starts at most
/// <see cref="MaxStartsPerStep"/> elements over all map nodes; when that budget ran out with room left, the decision
/// says <see cref="WorkflowDecision.MoreToStart"/> and the grain takes another step in a later turn, so a 10,000-element
/// map never puts 10,000 task grains on one turn and completions interleave with launches. An element's end is
/// recorded, then the node settles once every element ended (or once too many failed and none is still running):
/// succeeded if at least the required number succeeded, with each output a list in element order.
/// </summary>
internal static class MapNodes
{
    public const int MaxStartsPerStep = 100;

    public static void Ready(WorkflowDraft step, PlanNode node, MapPlan map, JsonObject inputs, BindingValues values)
    {
        var over = values.ResolveOne(map.Over);
        inputs[map.Input] = over?.DeepClone();
        step.Raise(new NodeReady(node.Id, inputs.ToJsonString()));
        if (over is not JsonArray list)
        {
            NodeDecisions.Fail(step, node.Id, TaskPhase.Failed, $"a map node maps over a list, but the value for '{map.Input}' is {Describe(over)}", failFast: true);
            return;
        }

        if (list.Count > Specs.MapSpec.MaxElements)
        {
            NodeDecisions.Fail(step, node.Id, TaskPhase.Failed, $"the list has {list.Count} elements; a map node runs at most {Specs.MapSpec.MaxElements}", failFast: true);
            return;
        }

        step.Raise(new MapNodeExpanded(node.Id, list.Count));
        if (!SettleIfDone(step, node, map, failFast: true))
        {
            Pump(step, node, map);
        }
    }

    /// <summary>Starts the next elements the node's concurrency and the step's budget allow.</summary>
    public static void Pump(WorkflowDraft step, PlanNode node, MapPlan map)
    {
        var progress = step.State.Nodes[node.Id].Map;
        if (progress is null || Doomed(progress, map))
        {
            return;
        }

        var room = Math.Min(map.Concurrency - progress.InFlight, progress.Count - progress.Started);
        var count = Math.Min(room, step.StartBudget);
        if (count < room)
        {
            step.MoreToStart = true;
        }

        if (count <= 0)
        {
            return;
        }

        var first = progress.Started;
        step.Raise(new MapElementsStarted(node.Id, first, count));
        step.StartBudget -= count;
        var inputs = JsonNode.Parse(step.State.Nodes[node.Id].InputsJson ?? "{}")!.AsObject();
        var list = inputs[map.Input]!.AsArray();
        var recovered = step.State.Submission?.RecoveredOutputs ?? new Dictionary<string, string>();
        for (var i = first; i < first + count; i++)
        {
            if (recovered.TryGetValue(MapElements.TaskNodeId(node.Id, i), out var outputs))
            {
                // A recover of a map that failed: this element succeeded in the source execution, so it is not run again.
                step.Raise(new MapElementEnded(node.Id, i, TaskPhase.Succeeded, outputs, null, false));
                step.MoreToStart |= progress.Started + count < progress.Count;
            }
            else
            {
                step.Start(node, ElementInputs(inputs, map, list, i), i);
            }
        }

        SettleIfDone(step, node, map, failFast: true);
    }

    /// <summary>The inputs of element <paramref name="index"/>: the node's inputs with the mapped input set to the element.</summary>
    public static string ElementInputs(NodeExecutionState node, MapPlan map, int index)
    {
        var inputs = JsonNode.Parse(node.InputsJson ?? "{}")!.AsObject();
        return ElementInputs(inputs, map, inputs[map.Input]!.AsArray(), index);
    }

    /// <param name="stopping">The execution is ending early: the node only settles here if it succeeded; otherwise it
    /// ends with the stop (<see cref="WorkflowStep"/>), not as a failure of its own.</param>
    public static void ElementEnded(WorkflowDraft step, PlanNode node, MapPlan map, int index, NodeOutcome outcome, bool failFast, bool stopping = false)
    {
        var error = outcome.Phase == TaskPhase.Succeeded ? null : outcome.Error ?? outcome.Phase.ToString();
        step.Raise(new MapElementEnded(node.Id, index, outcome.Phase, outcome.Phase == TaskPhase.Succeeded ? outcome.OutputsJson ?? "{}" : null, error, outcome.CacheHit));
        SettleIfDone(step, node, map, failFast, stopping);
    }

    /// <summary>Settles the node when nothing more can change its outcome; says whether it did.</summary>
    public static bool SettleIfDone(WorkflowDraft step, PlanNode node, MapPlan map, bool failFast, bool stopping = false)
    {
        var progress = step.State.Nodes[node.Id].Map!;
        var required = map.Required(progress.Count);
        if (progress.Ended == progress.Count && progress.Succeeded >= required)
        {
            step.Raise(new NodeSucceeded(node.Id, Outputs(node, progress), false, null));
            return true;
        }

        if (!stopping && progress.InFlight == 0 && (progress.Ended == progress.Count || Doomed(progress, map)))
        {
            var firstError = progress.Elements.Where(e => e.Value.Phase != TaskPhase.Succeeded && e.Value.Phase != TaskPhase.Queued)
                .OrderBy(e => e.Key).Select(e => $"; first failure: {MapElements.TaskNodeId(node.Id, e.Key)}: {e.Value.Error}").FirstOrDefault() ?? string.Empty;
            NodeDecisions.Fail(step, node.Id, TaskPhase.Failed,
                $"{progress.Succeeded} of {progress.Count} elements succeeded, {required} required ({progress.Failed} failed){firstError}", failFast);
            return true;
        }

        return false;
    }

    /// <summary>Too many elements failed for the rest to make up: start no more.</summary>
    private static bool Doomed(MapProgress progress, MapPlan map) => progress.Count - progress.Failed < map.Required(progress.Count);

    private static string ElementInputs(JsonObject inputs, MapPlan map, JsonArray list, int index)
    {
        var element = new JsonObject();
        foreach (var (name, value) in inputs)
        {
            element[name] = name == map.Input ? list[index]?.DeepClone() : value?.DeepClone();
        }

        return element.ToJsonString();
    }

    /// <summary>Every declared output of the task as a list in element order, null where an element did not succeed.</summary>
    private static string Outputs(PlanNode node, MapProgress progress)
    {
        var declared = (JsonNode.Parse(node.TaskSpec) as JsonObject)?["outputs"] as JsonObject;
        var names = declared?.Select(o => o.Key).ToList() ?? [];
        var elements = Enumerable.Range(0, progress.Count)
            .Select(i => progress.Element(i) is { Phase: TaskPhase.Succeeded, OutputsJson: { } json } ? JsonNode.Parse(json) as JsonObject : null)
            .ToList();
        foreach (var extra in elements.OfType<JsonObject>().SelectMany(o => o.Select(p => p.Key)).Distinct(StringComparer.Ordinal))
        {
            if (!names.Contains(extra, StringComparer.Ordinal))
            {
                names.Add(extra);
            }
        }

        var outputs = new JsonObject();
        foreach (var name in names)
        {
            outputs[name] = new JsonArray([.. elements.Select(e => e?[name]?.DeepClone())]);
        }

        return outputs.ToJsonString();
    }

    private static string Describe(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "a mapping",
        JsonValue v => $"{v.GetValueKind().ToString().ToLowerInvariant()} {v.ToJsonString()}",
        _ => value.ToJsonString(),
    };
}
