using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class WorkflowSpecTests
{
    private static readonly Dictionary<string, TaskSpec> s_tasks = new(StringComparer.Ordinal)
    {
        ["prepare-data@v1"] = Task(SpecSamples.PrepareDataYaml),
        ["train-model@v3"] = Task(SpecSamples.TrainModelYaml),
    };

    private static TaskSpec Task(string yaml) => TaskSpecReader.Read(SpecDocument.Parse(yaml).Value!).Value!;

    private static TaskSpec? Resolve(TaskReference reference) => s_tasks.GetValueOrDefault(reference.ToString());

    private static IReadOnlyList<SpecError> Check(string yaml)
    {
        var read = WorkflowSpecReader.Read(SpecDocument.Parse(yaml).Value!);
        return read.IsValid ? WorkflowValidator.Validate(read.Value!, Resolve) : read.Errors;
    }

    private static IReadOnlyList<SpecError> CheckChanged(string find, string replace)
    {
        var text = SpecSamples.TrainAlphaYaml.Replace(find, replace, StringComparison.Ordinal);
        text.Should().NotBe(SpecSamples.TrainAlphaYaml);
        return Check(text);
    }

    [Fact]
    public void The_sample_workflow_is_valid_and_train_depends_on_prepare()
    {
        var read = WorkflowSpecReader.Read(SpecDocument.Parse(SpecSamples.TrainAlphaYaml).Value!);

        read.Errors.Should().BeEmpty();
        WorkflowValidator.Validate(read.Value!, Resolve).Should().BeEmpty();
        read.Value!.Nodes[1].Upstream.Should().Equal("prepare");
    }

    [Theory]
    [InlineData("{{ inputs.start_date }}", "{{ inputs.nope }}", "/nodes/0/inputs/date", "nope")]
    [InlineData("{{ nodes.prepare.outputs.path }}", "{{ nodes.prepare.outputs.nope }}", "/nodes/1/inputs/dataset", "nope")]
    [InlineData("{{ nodes.prepare.outputs.path }}", "{{ nodes.ghost.outputs.path }}", "/nodes/1/inputs/dataset", "ghost")]
    [InlineData("{{ nodes.prepare.outputs.path }}", "{{ nodes.prepare.path }}", "/nodes/1/inputs/dataset", "nodes.prepare.path")]
    [InlineData("{{ nodes.prepare.outputs.path }}", "{{ nodes.prepare.outputs.path", "/nodes/1/inputs/dataset", "without closing")]
    [InlineData("epochs: \"{{ inputs.epochs }}\"", "epochs: \"{{ inputs.start_date }}\"", "/nodes/1/inputs/epochs", "string")]
    [InlineData("epochs: \"{{ inputs.epochs }}\"", "epochs: many", "/nodes/1/inputs/epochs", "many")]
    [InlineData("epochs: \"{{ inputs.epochs }}\"", "epochs: \"run {{ inputs.epochs }}\"", "/nodes/1/inputs/epochs", "string")]
    [InlineData("epochs: \"{{ inputs.epochs }}\"", "epochs: 3, lr: 0.1", "/nodes/1/inputs/lr", "no input 'lr'")]
    [InlineData(", epochs: \"{{ inputs.epochs }}\"", "", "/nodes/1/inputs", "epochs")]
    [InlineData("task: train-model@v3", "task: train-model@v9", "/nodes/1/task", "train-model@v9")]
    [InlineData("task: train-model@v3", "task: Train-Model", "/nodes/1/task", "Train-Model")]
    [InlineData("id: train", "id: prepare", "/nodes/1/id", "twice")]
    [InlineData("id: train", "id: Train_It", "/nodes/1/id", "Train_It")]
    [InlineData("{{ nodes.train.outputs.model_uri }}", "{{ nodes.train.outputs.weights }}", "/outputs/model", "weights")]
    [InlineData("outputs: { model:", "failure_policy: yolo\noutputs: { model:", "/failure_policy", "yolo")]
    public void Each_rule_is_reported_at_its_pointer(string find, string replace, string pointer, string mentioned)
    {
        var errors = CheckChanged(find, replace);

        errors.Should().Contain(e => e.Pointer == pointer, $"got {string.Join(" | ", errors)}");
        errors.First(e => e.Pointer == pointer).Message.Should().Contain(mentioned);
    }

    [Fact]
    public void A_cycle_through_bindings_and_after_is_reported_with_its_path()
    {
        const string cyclic = """
            name: loop
            version: v1
            nodes:
              - id: a
                task: prepare-data@v1
                inputs: { date: "{{ nodes.c.outputs.path }}" }
              - id: b
                task: prepare-data@v1
                inputs: { date: "{{ nodes.a.outputs.path }}" }
              - id: c
                task: prepare-data@v1
                inputs: { date: x }
                after: [b]
            """;

        var error = Check(cyclic).Should().ContainSingle().Subject;

        error.Pointer.Should().StartWith("/nodes/");
        error.Message.Should().MatchRegex("(a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)");
    }

    [Fact]
    public void After_naming_an_unknown_node_or_itself_is_rejected()
    {
        var errors = CheckChanged("inputs: { date: \"{{ inputs.start_date }}\" }", "inputs: { date: x }\n    after: [ghost, prepare]");

        errors.Select(e => e.Pointer).Should().Contain(["/nodes/0/after/0", "/nodes/0/after/1"]);
    }

    [Fact]
    public void A_workflow_without_nodes_is_rejected()
    {
        Check("name: empty\nversion: v1\nnodes: []").Should().ContainSingle(e => e.Pointer == "/nodes");
    }

    [Fact]
    public void Too_many_nodes_are_rejected()
    {
        var nodes = string.Join("\n", Enumerable.Range(0, WorkflowSpec.MaxNodes + 1).Select(i => $"  - {{ id: n{i}, task: prepare-data@v1, inputs: {{ date: x }} }}"));

        Check($"name: big\nversion: v1\nnodes:\n{nodes}").Should().ContainSingle(e => e.Pointer == "/nodes" && e.Message.Contains("200", StringComparison.Ordinal));
    }

    [Fact]
    public void A_template_interpolates_text_and_a_whole_reference_keeps_its_type()
    {
        Binding.TryParse(JsonValue.Create("s3://b/{{ inputs.d }}/{{ nodes.p.outputs.n }}"), out var template, out _).Should().BeTrue();
        Binding.TryParse(JsonValue.Create("{{ inputs.epochs }}"), out var whole, out _).Should().BeTrue();

        template.Evaluate(r => r.Name == "d" ? JsonValue.Create("2026-11-28") : JsonValue.Create(7))!.GetValue<string>()
            .Should().Be("s3://b/2026-11-28/7");
        whole.Evaluate(_ => JsonValue.Create(10))!.GetValue<int>().Should().Be(10);
    }

    [Theory]
    [InlineData("int", "float", false)]
    [InlineData("float", "int", true)]
    [InlineData("json", "list<int>", true)]
    [InlineData("list<float>", "list<int>", true)]
    [InlineData("list<int>", "list<string>", false)]
    [InlineData("string", "int", false)]
    public void Assignability_follows_widening_rules(string target, string source, bool assignable)
    {
        ParameterType.TryParse(target, out var t).Should().BeTrue();
        ParameterType.TryParse(source, out var s).Should().BeTrue();

        t.IsAssignableFrom(s).Should().Be(assignable);
    }

    [Fact]
    public void Diff_lists_changed_added_and_removed_fields_by_pointer()
    {
        var existing = JsonNode.Parse("""{"a":1,"b":{"c":"x"},"gone":true}""");
        var submitted = JsonNode.Parse("""{"a":2,"b":{"c":"x","d":[1]}}""");

        SpecDiff.Compare(existing, submitted).Should().Equal(
            new SpecDifference("/a", "1", "2"),
            new SpecDifference("/b/d", null, "[1]"),
            new SpecDifference("/gone", "true", null));
    }

    [Fact]
    public void Canonical_json_does_not_depend_on_key_order()
    {
        CanonicalJson.Serialize(JsonNode.Parse("""{"b":1,"a":{"y":2,"x":[3,{"q":1,"p":2}]}}"""))
            .Should().Be("""{"a":{"x":[3,{"p":2,"q":1}],"y":2},"b":1}""");
    }
}
