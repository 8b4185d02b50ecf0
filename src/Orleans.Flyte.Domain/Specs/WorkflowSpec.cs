using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>A task named by a workflow node: <c>name@version</c>, or <c>name</c> for the latest version at registration.</summary>
public sealed record TaskReference(string Name, string? Version)
{
    public static TaskReference Parse(string text)
    {
        var at = text.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? new TaskReference(text, null) : new TaskReference(text[..at], text[(at + 1)..]);
    }

    public TaskReference Pinned(string version) => this with { Version = version };

    public override string ToString() => Version is null ? Name : $"{Name}@{Version}";
}

public enum FailurePolicy
{
    /// <summary>The first failed node stops the others and fails the execution.</summary>
    FailFast,

    /// <summary>Nodes that do not depend on a failed node still run; the execution fails at the end.</summary>
    FinishWhatCanFinish,
}

/// <param name="Task">The task it runs; null for a branch, sub-workflow or launch-plan node, which run none.</param>
/// <param name="Map">Set for a map node: the task runs once per element of a list.</param>
/// <param name="Branch">Set for a branch node: it decides which of the nodes its cases name runs.</param>
/// <param name="Workflow">Set for a sub-workflow node: the registered workflow version it runs as a child execution.</param>
/// <param name="LaunchPlan">Set for a launch-plan node: the launch plan version it launches as a linked execution.</param>
public sealed record NodeSpec(string Id, TaskReference? Task, IReadOnlyDictionary<string, Binding> Inputs, IReadOnlyList<string> After, MapSpec? Map = null,
    BranchSpec? Branch = null, TaskReference? Workflow = null, TaskReference? LaunchPlan = null)
{
    /// <summary>A sub-workflow or launch-plan node: it runs a child execution, not a task.</summary>
    public bool IsChild => Workflow is not null || LaunchPlan is not null;

    /// <summary>Nodes this node waits for: those it takes outputs from (or maps over, or compares), and those named in
    /// <c>after</c>. A node a branch names also waits for the branch: see <see cref="WorkflowSpec.UpstreamOf"/>.</summary>
    public IEnumerable<string> Upstream => Inputs.Values.Concat(Map is null ? [] : [Map.Over]).SelectMany(b => b.References)
        .Concat(Branch?.References ?? [])
        .Where(r => r.Source == BindingSource.NodeOutput).Select(r => r.NodeId).OfType<string>()
        .Concat(After).Distinct(StringComparer.Ordinal);

    public bool Equals(NodeSpec? other) =>
        other is not null && Id == other.Id && Task == other.Task && SpecEquality.Dictionaries(Inputs, other.Inputs) && After.SequenceEqual(other.After)
        && Equals(Map, other.Map) && Equals(Branch, other.Branch) && Workflow == other.Workflow && LaunchPlan == other.LaunchPlan;

    public override int GetHashCode() => HashCode.Combine(Id, Task, Inputs.Count, After.Count);
}

/// <summary>One version of a workflow: a DAG of task nodes wired by data bindings.</summary>
public sealed record WorkflowSpec
{
    public const int MaxNodes = 200;
    public const int MaxAfter = 64;
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(30);

    public required string Name { get; init; }
    public required string Version { get; init; }
    public string? Description { get; init; }
    public IReadOnlyDictionary<string, ParameterSpec> Inputs { get; init; } = new Dictionary<string, ParameterSpec>();
    public IReadOnlyDictionary<string, Binding> Outputs { get; init; } = new Dictionary<string, Binding>();
    public required IReadOnlyList<NodeSpec> Nodes { get; init; }
    public FailurePolicy FailurePolicy { get; init; }
    public TimeSpan? Timeout { get; init; }

    // Value equality over the normalized form: collections and JSON values inside compare by content.
    public bool Equals(WorkflowSpec? other) =>
        other is not null && string.Equals(CanonicalJson.Serialize(ToJson()), CanonicalJson.Serialize(other.ToJson()), StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(CanonicalJson.Serialize(ToJson()));

    /// <summary>Every node <paramref name="node"/> waits for: its own upstream, and the branch whose case names it.</summary>
    public IEnumerable<string> UpstreamOf(NodeSpec node) => node.Upstream
        .Concat(Nodes.Where(b => b.Branch is not null && b.Branch.Targets.Contains(node.Id, StringComparer.Ordinal)).Select(b => b.Id))
        .Distinct(StringComparer.Ordinal);

    /// <summary>The normalized form: defaults omitted, bindings and durations normalized, node order kept.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["name"] = Name, ["version"] = Version };
        if (Description is not null)
        {
            obj["description"] = Description;
        }

        if (Inputs.Count > 0)
        {
            obj["inputs"] = Interfaces.ToJson(Inputs);
        }

        var nodes = new JsonArray();
        foreach (var node in Nodes)
        {
            var n = new JsonObject { ["id"] = node.Id };
            if (node.Task is not null)
            {
                n["task"] = node.Task.ToString();
            }

            if (node.Workflow is not null)
            {
                n["workflow"] = node.Workflow.ToString();
            }

            if (node.LaunchPlan is not null)
            {
                n["launchplan"] = node.LaunchPlan.ToString();
            }

            if (node.Branch is not null)
            {
                n["branch"] = node.Branch.ToJson();
            }

            if (node.Inputs.Count > 0)
            {
                n["inputs"] = Bindings(node.Inputs);
            }

            if (node.Map is not null)
            {
                n["map"] = node.Map.ToJson();
            }

            if (node.After.Count > 0)
            {
                n["after"] = new JsonArray([.. node.After.Select(a => (JsonNode?)JsonValue.Create(a))]);
            }

            nodes.Add(n);
        }

        obj["nodes"] = nodes;
        if (Outputs.Count > 0)
        {
            obj["outputs"] = Bindings(Outputs);
        }

        if (FailurePolicy == FailurePolicy.FinishWhatCanFinish)
        {
            obj["failure_policy"] = "finish-what-can-finish";
        }

        if (Timeout is { } timeout)
        {
            obj["timeout"] = DurationText.Format(timeout);
        }

        return obj;
    }

    private static JsonObject Bindings(IReadOnlyDictionary<string, Binding> bindings)
    {
        var obj = new JsonObject();
        foreach (var (name, binding) in bindings.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            obj[name] = binding.ToJson();
        }

        return obj;
    }
}

/// <summary>Structural validation of a workflow document (what can be checked without the tasks it uses).</summary>
public static class WorkflowSpecReader
{
    private static readonly string[] NotOnBranch = ["task", "inputs", "map", "workflow", "launchplan"];
    private static readonly string[] Kinds = ["task", "workflow", "launchplan"];

    public static SpecResult<WorkflowSpec> Read(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var errors = new List<SpecError>();
        JsonLiterals.CheckStringLengths(document, string.Empty, errors);
        var fields = new FieldReader(document, string.Empty, errors,
            "name", "version", "description", "inputs", "outputs", "nodes", "failure_policy", "timeout");

        var (name, version) = fields.NameAndVersion("train-alpha");

        var description = fields.String("description");
        var inputs = Interfaces.Read(fields, "inputs", allowDefaults: true);
        var nodes = ReadNodes(fields, inputs);
        var outputs = ReadBindings(fields, "outputs", inputs, nodes?.Select(n => n.Id).ToHashSet(StringComparer.Ordinal));
        var policy = FailurePolicy.FailFast;
        if (fields.String("failure_policy") is { } policyText)
        {
            switch (policyText)
            {
                case "fail-fast":
                    break;
                case "finish-what-can-finish":
                    policy = FailurePolicy.FinishWhatCanFinish;
                    break;
                default:
                    fields.Error("failure_policy", $"'{policyText}' is not a failure policy; use fail-fast (the default) or finish-what-can-finish");
                    break;
            }
        }

        var timeout = fields.Duration("timeout", TimeSpan.FromSeconds(1), WorkflowSpec.MaxTimeout);
        if (errors.Count > 0 || name is null || version is null || nodes is null)
        {
            return SpecResult<WorkflowSpec>.Fail(errors);
        }

        return SpecResult<WorkflowSpec>.Ok(new WorkflowSpec
        {
            Name = name,
            Version = version,
            Description = description,
            Inputs = inputs,
            Outputs = outputs,
            Nodes = nodes,
            FailurePolicy = policy,
            Timeout = timeout,
        });
    }

    private static List<NodeSpec>? ReadNodes(FieldReader fields, IReadOnlyDictionary<string, ParameterSpec> inputs)
    {
        var array = fields.Array("nodes", required: true);
        if (array is null)
        {
            return null;
        }

        if (array.Count == 0)
        {
            fields.Error("nodes", "a workflow needs at least one node");
            return null;
        }

        if (array.Count > WorkflowSpec.MaxNodes)
        {
            fields.Error("nodes", $"{array.Count} nodes; a workflow may have at most {WorkflowSpec.MaxNodes}");
            return null;
        }

        // Node ids first, so bindings and 'after' can be checked against every node, wherever it is declared.
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in array)
        {
            if (item is JsonObject o && FieldReader.Text(o["id"]) is { } id)
            {
                ids.Add(id);
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var nodes = new List<NodeSpec>();
        var start = fields.Errors.Count;
        for (var i = 0; i < array.Count; i++)
        {
            var pointer = JsonPointer.Append(fields.At("nodes"), i);
            if (array[i] is not JsonObject obj)
            {
                fields.Errors.Add(new SpecError(pointer, $"a node must be a mapping with id, task and inputs, not {SpecDocument.Describe(array[i])}"));
                continue;
            }

            var node = new FieldReader(obj, pointer, fields.Errors, "id", "task", "inputs", "after", "map", "branch", "workflow", "launchplan");
            var id = node.String("id", required: true, example: "id: train");
            if (id is not null && Names.Dns1123LabelError(id) is { } idError)
            {
                node.Error("id", "node id " + idError);
            }
            else if (id is not null && !seen.Add(id))
            {
                node.Error("id", $"node id '{id}' is used twice; node ids must be unique");
            }

            TaskReference? task = null;
            var isBranch = node.Has("branch");
            if (isBranch)
            {
                foreach (var field in NotOnBranch.Where(node.Has))
                {
                    node.Error(field, $"a branch node runs no task, so it has no '{field}'; the nodes its cases name do the work");
                }
            }

            TaskReference? workflowRef = null;
            TaskReference? launchPlanRef = null;
            var kinds = Kinds.Where(node.Has).ToList();
            if (!isBranch && kinds.Count > 1)
            {
                node.Error(kinds[1], $"a node runs one thing: a task, a workflow or a launch plan, not both '{kinds[0]}' and '{kinds[1]}'");
            }
            else if (!isBranch && kinds is ["workflow"] or ["launchplan"])
            {
                var field = kinds[0];
                var what = field == "workflow" ? "workflow" : "launch plan";
                if (node.Has("map"))
                {
                    node.Error("map", $"a map node maps a task; a {what} node runs one child execution");
                }

                if (node.String(field) is { } text)
                {
                    var reference = Reference(node, field, text, what);
                    if (field == "workflow")
                    {
                        workflowRef = reference;
                    }
                    else
                    {
                        launchPlanRef = reference;
                    }
                }
            }
            else if (!isBranch && node.String("task", required: true, example: "task: train-model@v3") is { } taskText)
            {
                task = Reference(node, "task", taskText, "task");
            }

            var bindings = ReadBindings(node, "inputs", inputs, ids);
            var map = isBranch || workflowRef is not null || launchPlanRef is not null ? null : MapSpec.Read(node, ids, inputs);
            var branch = isBranch ? BranchSpec.Read(node, ids, inputs, id) : null;
            if (map is not null && bindings.ContainsKey(map.Input))
            {
                fields.Errors.Add(new SpecError(JsonPointer.Append(node.At("inputs"), map.Input),
                    $"input '{map.Input}' takes each element of the map; it cannot also be bound in 'inputs'"));
            }

            var after = new List<string>();
            if (node.Array("after") is { } afterArray)
            {
                if (afterArray.Count > WorkflowSpec.MaxAfter)
                {
                    node.Error("after", $"{afterArray.Count} entries; at most {WorkflowSpec.MaxAfter} are allowed");
                }

                for (var j = 0; j < afterArray.Count; j++)
                {
                    var at = JsonPointer.Append(node.At("after"), j);
                    var other = FieldReader.Text(afterArray[j]);
                    if (other is null || !ids.Contains(other))
                    {
                        fields.Errors.Add(new SpecError(at, $"'after' names {(other is null ? SpecDocument.Describe(afterArray[j]) : $"'{other}'")}, which is not a node of this workflow"));
                    }
                    else if (string.Equals(other, id, StringComparison.Ordinal))
                    {
                        fields.Errors.Add(new SpecError(at, $"node '{id}' cannot run after itself"));
                    }
                    else
                    {
                        after.Add(other);
                    }
                }
            }

            if (id is not null && (task is not null || branch is not null || workflowRef is not null || launchPlanRef is not null))
            {
                nodes.Add(new NodeSpec(id, task, bindings, after, map, branch, workflowRef, launchPlanRef));
            }
        }

        var named = nodes.Where(n => n.Branch is not null).SelectMany(n => n.Branch!.Targets.Select(t => (Branch: n.Id, Target: t)))
            .GroupBy(p => p.Target).FirstOrDefault(g => g.Count() > 1);
        if (named is not null)
        {
            fields.Error("nodes", $"node '{named.Key}' is named by branches {string.Join(" and ", named.Select(p => $"'{p.Branch}'"))}; a node can follow one branch");
        }

        return fields.Errors.Count == start ? nodes : null;
    }

    private static TaskReference Reference(FieldReader node, string field, string text, string what)
    {
        var reference = TaskReference.Parse(text);
        if (Names.Dns1123LabelError(reference.Name) is { } nameError)
        {
            node.Error(field, $"'{text}' does not name a {what}: {what} name {nameError}");
        }
        else if (reference.Version is not null && Names.VersionError(reference.Version) is { } versionError)
        {
            node.Error(field, $"'{text}' does not name a {what} version: {versionError}");
        }

        return reference;
    }

    private static Dictionary<string, Binding> ReadBindings(
        FieldReader fields, string field, IReadOnlyDictionary<string, ParameterSpec> inputs, HashSet<string>? nodeIds)
    {
        var result = new Dictionary<string, Binding>(StringComparer.Ordinal);
        var obj = fields.Object(field);
        if (obj is null)
        {
            return result;
        }

        if (obj.Count > Interfaces.MaxParameters)
        {
            fields.Error(field, $"{obj.Count} bindings; at most {Interfaces.MaxParameters} are allowed");
            return result;
        }

        foreach (var (name, value) in obj)
        {
            var at = JsonPointer.Append(fields.At(field), name);
            if (Names.ParameterNameError(name) is { } nameError)
            {
                fields.Errors.Add(new SpecError(at, nameError));
                continue;
            }

            if (value is JsonValue && FieldReader.Text(value) is { Length: > FieldReader.MaxStringLength })
            {
                continue; // reported by the document-wide length check
            }

            if (!Binding.TryParse(value, out var binding, out var error))
            {
                fields.Errors.Add(new SpecError(at, error));
                continue;
            }

            if (binding.IsLiteral && value is not JsonValue)
            {
                var nested = JsonLiterals.NestedTemplates(value, at).ToList();
                fields.Errors.AddRange(nested.Select(p => new SpecError(p,
                    "'{{ ... }}' works only as a whole value or inside text, not inside a list or mapping; bind a list-typed input or output instead")));
                if (nested.Count > 0)
                {
                    continue;
                }
            }

            foreach (var reference in binding.References)
            {
                if (reference.Source == BindingSource.Input && !inputs.ContainsKey(reference.Name))
                {
                    fields.Errors.Add(new SpecError(at, $"'{{{{ {reference} }}}}' refers to workflow input '{reference.Name}', which is not declared; declared inputs: {List(inputs.Keys)}"));
                }
                else if (reference.Source == BindingSource.NodeOutput && nodeIds is not null && !nodeIds.Contains(reference.NodeId!))
                {
                    fields.Errors.Add(new SpecError(at, $"'{{{{ {reference} }}}}' refers to node '{reference.NodeId}', which is not a node of this workflow; nodes: {List(nodeIds)}"));
                }
            }

            result[name] = binding;
        }

        return result;
    }

    internal static string List(IEnumerable<string> names)
    {
        var list = names.OrderBy(n => n, StringComparer.Ordinal).ToList();
        return list.Count == 0 ? "(none)" : string.Join(", ", list);
    }
}
