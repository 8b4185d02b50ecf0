using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>One case of a branch: <c>if</c> / <c>elif</c> with its condition, or <c>else</c> (no condition).</summary>
/// <param name="Text">The condition as written (null for <c>else</c>).</param>
/// <param name="Then">The node of this workflow that runs when this case is taken.</param>
public sealed record BranchCase(string? Text, Condition? Condition, string Then)
{
    public bool Equals(BranchCase? other) => other is not null && Text == other.Text && Then == other.Then;

    public override int GetHashCode() => HashCode.Combine(Text, Then);
}

/// <summary>
/// A branch node (issue 17): its cases are tried in order and the first whose condition holds (or the <c>else</c>) is
/// taken. The node a case names runs after the branch; the nodes the other cases name are Skipped as not taken (and so is
/// what depends only on them), which does not fail the execution.
/// </summary>
public sealed record BranchSpec(IReadOnlyList<BranchCase> Cases)
{
    public const int MaxCases = 32;

    public IEnumerable<string> Targets => Cases.Select(c => c.Then);

    public IEnumerable<BindingReference> References => Cases.SelectMany(c => c.Condition?.References ?? []);

    public bool Equals(BranchSpec? other) => other is not null && Cases.SequenceEqual(other.Cases);

    public override int GetHashCode() => Cases.Count;

    public JsonArray ToJson() => [.. Cases.Select((c, i) => (JsonNode)(c.Text is null
        ? new JsonObject { ["else"] = c.Then }
        : new JsonObject { [i == 0 ? "if" : "elif"] = c.Text, ["then"] = c.Then }))];

    internal static BranchSpec? Read(FieldReader node, HashSet<string> nodeIds, IReadOnlyDictionary<string, ParameterSpec> inputs, string? self)
    {
        if (node.Array("branch") is not { } array)
        {
            return null;
        }

        var errors = node.Errors.Count;
        if (array.Count == 0 || array.Count > MaxCases)
        {
            node.Error("branch", $"a branch needs 1 to {MaxCases} cases (if, then any elif, then an optional else), not {array.Count}");
            return null;
        }

        var cases = new List<BranchCase>();
        for (var i = 0; i < array.Count; i++)
        {
            var pointer = JsonPointer.Append(node.At("branch"), i);
            if (array[i] is not JsonObject obj)
            {
                node.Errors.Add(new SpecError(pointer, $"a case must be a mapping ({{ if: ..., then: node }} or {{ else: node }}), not {SpecDocument.Describe(array[i])}"));
                continue;
            }

            var keyword = i == 0 ? "if" : obj.ContainsKey("else") ? "else" : "elif";
            var last = i == array.Count - 1;
            var field = keyword == "else"
                ? new FieldReader(obj, pointer, node.Errors, "else")
                : new FieldReader(obj, pointer, node.Errors, keyword, "then");
            if (keyword == "else")
            {
                if (!last)
                {
                    field.Error("else", "'else' must be the last case");
                }

                if (Target(field, "else") is { } otherwise)
                {
                    cases.Add(new BranchCase(null, null, otherwise));
                }

                continue;
            }

            var text = field.String(keyword, required: true, example: $"{keyword}: \"{{{{ nodes.evaluate.outputs.accuracy }}}} >= 0.9\"");
            Condition? condition = null;
            if (text is not null)
            {
                if (!Condition.TryParse(text, out condition, out var error))
                {
                    field.Error(keyword, error!);
                }
                else
                {
                    foreach (var reference in condition!.References)
                    {
                        if (reference.Source == BindingSource.Input && !inputs.ContainsKey(reference.Name))
                        {
                            field.Error(keyword, $"'{{{{ {reference} }}}}' refers to workflow input '{reference.Name}', which is not declared; declared inputs: {WorkflowSpecReader.List(inputs.Keys)}");
                        }
                        else if (reference.Source == BindingSource.NodeOutput && !nodeIds.Contains(reference.NodeId!))
                        {
                            field.Error(keyword, $"'{{{{ {reference} }}}}' refers to node '{reference.NodeId}', which is not a node of this workflow; nodes: {WorkflowSpecReader.List(nodeIds)}");
                        }
                    }
                }
            }

            if (Target(field, "then") is { } then && text is not null && condition is not null)
            {
                cases.Add(new BranchCase(text, condition, then));
            }
        }

        string? Target(FieldReader field, string name)
        {
            var target = field.String(name, required: true, example: $"{name}: register");
            if (target is null)
            {
                return null;
            }

            if (!nodeIds.Contains(target))
            {
                field.Error(name, $"'{target}' is not a node of this workflow; nodes: {WorkflowSpecReader.List(nodeIds)}");
                return null;
            }

            if (target == self)
            {
                field.Error(name, "a branch cannot run itself");
                return null;
            }

            return target;
        }

        var twice = cases.GroupBy(c => c.Then).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            node.Error("branch", $"node '{twice.Key}' is named by more than one case; each case runs a node of its own");
        }

        return node.Errors.Count == errors ? new BranchSpec(cases) : null;
    }
}
