using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;
using static Orleans.Flyte.Domain.Tests.Specs.SpecSamples;

namespace Orleans.Flyte.Domain.Tests.Specs;

/// <summary>Branch nodes in specs (issue 17): conditions parse, type-check against the interfaces and evaluate.</summary>
public sealed class BranchSpecTests
{
    private const string EvaluateYaml = """
        name: evaluate
        version: v1
        container: { image: local, command: [python, eval.py] }
        inputs: { model: string }
        outputs: { accuracy: float, label: string, passed: bool, runs: int }
        """;

    private static readonly Dictionary<string, TaskSpec> _tasks = new(StringComparer.Ordinal)
    {
        ["evaluate@v1"] = Task(EvaluateYaml),
        ["prepare-data@v1"] = Task(PrepareDataYaml),
    };

    /// <summary>evaluate → gate → register (if good enough) | review (elif) | discard (else).</summary>
    private const string Gate = """
        name: release
        version: v1
        inputs: { model: string, threshold: float, force: bool }
        nodes:
          - { id: evaluate, task: evaluate@v1, inputs: { model: "{{ inputs.model }}" } }
          - id: gate
            branch:
              - if: "{{ nodes.evaluate.outputs.accuracy }} >= {{ inputs.threshold }} or {{ inputs.force }}"
                then: register
              - elif: "{{ nodes.evaluate.outputs.accuracy }} >= 0.5 and not ({{ nodes.evaluate.outputs.label }} == 'broken')"
                then: review
              - else: discard
          - { id: register, task: prepare-data@v1, inputs: { date: register } }
          - { id: review, task: prepare-data@v1, inputs: { date: review } }
          - { id: discard, task: prepare-data@v1, inputs: { date: discard } }
        """;

    private static SpecResult<WorkflowSpec> Read(string yaml) => WorkflowSpecReader.Read(Document(yaml));

    private static IReadOnlyList<SpecError> Validate(string yaml)
    {
        var read = Read(yaml);
        read.Errors.Should().BeEmpty("the reader must accept the workflow so the validator sees it");
        return WorkflowValidator.Validate(read.Value!, r => _tasks.GetValueOrDefault(r.ToString()));
    }

    private static string Changed(string find, string replace)
    {
        var changed = Gate.Replace(find, replace, StringComparison.Ordinal);
        changed.Should().NotBe(Gate);
        return changed;
    }

    [Fact]
    public void A_branch_over_inputs_and_upstream_outputs_is_valid_and_reads_back_from_its_normalized_form()
    {
        Validate(Gate).Should().BeEmpty();
        var spec = Read(Gate).Value!;
        WorkflowSpecReader.Read(spec.ToJson()).Value.Should().Be(spec);
        spec.Nodes[1].Task.Should().BeNull();
        spec.Nodes[1].Upstream.Should().Equal("evaluate");
        spec.UpstreamOf(spec.Nodes[2]).Should().Equal("gate");
    }

    [Fact]
    public void Comparing_a_string_with_an_int_is_rejected_pointing_into_the_expression()
    {
        var errors = Validate(Changed("{{ nodes.evaluate.outputs.label }} == 'broken'", "{{ nodes.evaluate.outputs.label }} == 3"));

        errors.Should().ContainSingle(Describe(errors)).Which.Should().Match<SpecError>(e =>
            e.Pointer == "/nodes/1/branch/1/elif"
            && e.Message.Contains("at character 55") && e.Message.Contains("(string)") && e.Message.Contains("(int)"));
    }

    [Fact]
    public void Ordering_bools_and_using_a_non_bool_as_a_condition_are_rejected()
    {
        Validate(Changed("or {{ inputs.force }}", "or {{ inputs.force }} < true")).Should().ContainSingle()
            .Which.Should().Match<SpecError>(e => e.Pointer == "/nodes/1/branch/0/if" && e.Message.Contains("does not order bool"));
        Validate(Changed("or {{ inputs.force }}", "or {{ inputs.model }}")).Should().ContainSingle()
            .Which.Should().Match<SpecError>(e => e.Pointer == "/nodes/1/branch/0/if" && e.Message.Contains("not a bool"));
        Validate(Changed("{{ inputs.threshold }} or", "{{ nodes.evaluate.outputs.runs }} or")).Should().BeEmpty("int and float compare");
    }

    [Fact]
    public void A_malformed_condition_is_rejected_when_read_with_the_character_where_it_goes_wrong()
    {
        var errors = Read(Changed(">= 0.5 and", ">= 0.5 and and")).Errors;
        errors.Should().ContainSingle().Which.Should().Match<SpecError>(e => e.Pointer == "/nodes/1/branch/1/elif" && e.Message.Contains("at character"));
        Read(Changed("{{ inputs.threshold }}", "{{ inputs.limit }}")).Errors.Should().ContainSingle().Which.Message.Should().Contain("'limit'");
        Read(Changed("'broken')", "'broken'")).Errors.Should().ContainSingle().Which.Message.Should().Contain("expected ')'");
    }

    [Fact]
    public void Cases_must_name_nodes_of_the_workflow_once_and_else_comes_last()
    {
        Read(Changed("then: review", "then: ghost")).Errors.Should().ContainSingle().Which.Pointer.Should().Be("/nodes/1/branch/1/then");
        Read(Changed("then: review", "then: register")).Errors.Should().ContainSingle().Which.Pointer.Should().Be("/nodes/1/branch");
        Read(Changed("then: register", "then: gate")).Errors.Should().ContainSingle().Which.Message.Should().Contain("itself");
        Read(Changed("    branch:\n", "    task: evaluate@v1\n    branch:\n")).Errors.Should().ContainSingle().Which.Pointer.Should().Be("/nodes/1/task");
    }

    [Fact]
    public void A_branch_that_closes_a_cycle_is_rejected()
    {
        var cyclic = Changed("{ id: evaluate, task: evaluate@v1, inputs: { model: \"{{ inputs.model }}\" } }",
            "{ id: evaluate, task: evaluate@v1, inputs: { model: \"{{ inputs.model }}\" }, after: [register] }");
        Validate(cyclic).Should().ContainSingle().Which.Message.Should().Contain("cycle");
    }

    [Theory]
    [InlineData("{{ inputs.a }} == 3", true)]
    [InlineData("{{ inputs.a }} != 3.0", false)]
    [InlineData("{{ inputs.a }} < 3.5 and {{ inputs.s }} >= 'abc'", true)]
    [InlineData("not {{ inputs.b }} or {{ inputs.a }} > 10", true)]
    [InlineData("not ({{ inputs.b }} or {{ inputs.a }} < 10)", false)]
    [InlineData("{{ inputs.missing }} == null", true)]
    [InlineData("{{ inputs.s }} == \"abd\"", true)]
    [InlineData("{{ inputs.b }}", false)]
    public void Conditions_evaluate_typed_values(string text, bool expected)
    {
        Condition.TryParse(text, out var condition, out var error).Should().BeTrue(error);
        var values = new JsonObject { ["a"] = 3, ["s"] = "abd", ["b"] = false };

        condition!.Evaluate(r => values[r.Name]).Should().Be(expected);
    }
}
