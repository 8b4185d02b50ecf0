using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class BindingTests
{
    private static Binding Parse(JsonNode? value) =>
        Binding.TryParse(value, out var binding, out var error) ? binding : throw new InvalidOperationException(error);

    private static string Error(string text)
    {
        Binding.TryParse(JsonValue.Create(text), out var binding, out var error).Should().BeFalse();
        binding.Should().BeNull();
        return error!;
    }

    [Fact]
    public void A_whole_reference_to_a_workflow_input_is_one_reference()
    {
        var binding = Parse(JsonValue.Create("{{ inputs.epochs }}"));

        binding.IsWholeReference.Should().BeTrue();
        binding.IsLiteral.Should().BeFalse();
        binding.References.Should().Equal(new BindingReference(BindingSource.Input, null, "epochs"));
    }

    [Fact]
    public void A_node_output_reference_names_the_node_and_the_output()
    {
        Parse(JsonValue.Create("{{nodes.prepare.outputs.path}}")).References
            .Should().Equal(new BindingReference(BindingSource.NodeOutput, "prepare", "path"));
    }

    [Fact]
    public void Text_mixing_references_is_a_template()
    {
        var binding = Parse(JsonValue.Create("s3://bucket/{{ inputs.date }}/{{ nodes.prepare.outputs.path }}/x"));

        binding.IsTemplate.Should().BeTrue();
        binding.References.Select(r => r.ToString()).Should().Equal("inputs.date", "nodes.prepare.outputs.path");
    }

    [Theory]
    [InlineData("10")]
    [InlineData("\"plain text\"")]
    [InlineData("[1, \"a\"]")]
    [InlineData("{\"k\": \"v\"}")]
    [InlineData("\"a }} b\"")]
    public void Values_without_references_are_literals(string json)
    {
        var binding = Parse(JsonNode.Parse(json));

        binding.IsLiteral.Should().BeTrue();
        JsonNode.DeepEquals(binding.Literal, JsonNode.Parse(json)).Should().BeTrue();
    }

    [Fact]
    public void Whitespace_inside_braces_is_optional_and_normalized()
    {
        var tight = Parse(JsonValue.Create("s3://b/{{inputs.date}}"));
        var loose = Parse(JsonValue.Create("s3://b/{{   inputs.date   }}"));

        tight.Should().Be(loose);
        tight.ToJson()!.GetValue<string>().Should().Be("s3://b/{{ inputs.date }}");
    }

    [Theory]
    [InlineData("{{ nodes.prepare.path }}", "nodes.prepare.path")]
    [InlineData("{{ inputs.date", "without closing")]
    [InlineData("s3://{{ env.HOME }}/x", "env.HOME")]
    [InlineData("{{ }}", "is not a binding")]
    [InlineData("{{ inputs.Date }}", "inputs.Date")]
    [InlineData("{{ nodes.Prep.outputs.path }}", "nodes.Prep.outputs.path")]
    public void Malformed_expressions_are_errors_naming_the_expression(string text, string mentioned)
    {
        Error(text).Should().Contain(mentioned);
    }

    [Fact]
    public void A_malformed_expression_teaches_the_two_reference_forms()
    {
        Error("{{ nodes.prepare.path }}").Should().Contain("{{ inputs.<name> }}").And.Contain("{{ nodes.<node-id>.outputs.<name> }}");
    }

    [Fact]
    public void A_template_evaluates_to_text_and_a_whole_reference_keeps_its_type()
    {
        var template = Parse(JsonValue.Create("s3://b/{{ inputs.d }}/{{ nodes.p.outputs.n }}"));
        var whole = Parse(JsonValue.Create("{{ inputs.epochs }}"));

        template.Evaluate(r => r.Name == "d" ? JsonValue.Create("2026-11-28") : JsonValue.Create(7))!.GetValue<string>()
            .Should().Be("s3://b/2026-11-28/7");
        whole.Evaluate(_ => JsonValue.Create(10))!.GetValue<int>().Should().Be(10);
    }

    [Fact]
    public void A_stored_binding_parses_back_to_an_equal_binding()
    {
        var binding = Parse(JsonValue.Create("x-{{inputs.a}}-{{ nodes.n.outputs.b }}"));

        Parse(JsonNode.Parse(CanonicalJson.Serialize(binding.ToJson()))).Should().Be(binding);
    }
}
