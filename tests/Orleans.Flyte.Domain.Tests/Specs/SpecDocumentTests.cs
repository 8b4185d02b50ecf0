using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class SpecDocumentTests
{
    private static SpecError SingleError(string text, SpecFormat format = SpecFormat.Auto)
    {
        var result = SpecDocument.Parse(text, format);
        result.IsValid.Should().BeFalse();
        result.Value.Should().BeNull();
        return result.Errors.Should().ContainSingle().Subject;
    }

    [Fact]
    public void Yaml_plain_scalars_are_typed_like_the_yaml_1_2_core_schema_and_quoted_ones_are_text()
    {
        var doc = SpecDocument.Parse("a: 10\nb: '10'\nc: true\nd: 1.5\ne: ~\nf: v3\ng: null\nh: \"true\"\ni: -3\nj: 1e3\nk: yes").Value!;

        doc["a"]!.GetValue<long>().Should().Be(10);
        doc["b"]!.GetValue<string>().Should().Be("10");
        doc["c"]!.GetValue<bool>().Should().BeTrue();
        doc["d"]!.GetValue<double>().Should().Be(1.5);
        doc["e"].Should().BeNull();
        doc["f"]!.GetValue<string>().Should().Be("v3");
        doc["g"].Should().BeNull();
        doc["h"]!.GetValue<string>().Should().Be("true");
        doc["i"]!.GetValue<long>().Should().Be(-3);
        doc["j"]!.GetValue<double>().Should().Be(1000);
        doc["k"]!.GetValue<string>().Should().Be("yes");
    }

    [Fact]
    public void Yaml_numbers_keep_the_digits_as_written()
    {
        SpecDocument.Parse("version: 1.10").Value!["version"]!.ToJsonString().Should().Be("1.10");
    }

    [Fact]
    public void An_explicit_str_tag_makes_text()
    {
        SpecDocument.Parse("a: !!str 12").Value!["a"]!.GetValue<string>().Should().Be("12");
    }

    [Fact]
    public void Custom_yaml_tags_are_rejected()
    {
        SingleError("a: !secret 12").Pointer.Should().Be("/a");
    }

    [Fact]
    public void Yaml_syntax_errors_carry_line_and_column()
    {
        var error = SingleError("name: x\nversion: v1\ncontainer: { image: 'unclosed\n");

        error.Pointer.Should().BeEmpty();
        error.Message.Should().StartWith("invalid YAML at line ").And.Contain("column");
    }

    [Fact]
    public void A_bad_indentation_is_reported_on_its_line()
    {
        SingleError("name: x\nnodes:\n  - a\n - b\n").Message.Should().Contain("line 4");
    }

    [Theory]
    [InlineData("name: x\nversion: v1\ncontainer:\n\timage: local\n", 4)]
    [InlineData("name: x\nversion: v1\nresources:\n  cpu: 1\n\tmemory: 1Gi\n", 5)]
    public void A_tab_used_for_indentation_is_reported_on_its_line_and_named(string text, int line)
    {
        var message = SingleError(text).Message;
        message.Should().Contain($"line {line}", text).And.Contain("tab", text);
    }

    [Fact]
    public void An_unclosed_flow_list_is_an_error_with_a_line_not_a_crash()
    {
        SingleError("name: x\ncommand: [python, train.py\nversion: v1\n").Message.Should().MatchRegex("line \\d+");
    }

    [Fact]
    public void Json_syntax_errors_carry_line_and_column()
    {
        SingleError("{\n \"name\": \n}").Message.Should().StartWith("invalid JSON at line 3, column");
    }

    [Fact]
    public void Oversized_text_is_rejected_with_its_size_and_the_limit()
    {
        var text = "description: \"" + new string('x', SpecDocument.MaxBytes) + "\"";

        SingleError(text).Should().Be(new SpecError(string.Empty, $"spec is {text.Length} bytes; the limit is 262144"));
    }

    [Fact]
    public void The_size_limit_counts_utf8_bytes()
    {
        var text = "d: " + new string('é', SpecDocument.MaxBytes / 2);

        SingleError(text).Message.Should().Be($"spec is {SpecDocument.MaxBytes + 3} bytes; the limit is 262144");
    }

    [Theory]
    [InlineData("- a\n- b", SpecFormat.Auto)]
    [InlineData("just text", SpecFormat.Auto)]
    [InlineData("[1, 2]", SpecFormat.Json)]
    [InlineData("\"text\"", SpecFormat.Json)]
    public void A_root_that_is_not_a_mapping_is_rejected(string text, SpecFormat format)
    {
        SingleError(text, format).Message.Should().Contain("must be a");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("# only a comment\n")]
    public void An_empty_document_is_rejected(string text) => SingleError(text).Message.Should().Contain("empty");

    [Fact]
    public void Several_yaml_documents_in_one_text_are_rejected()
    {
        SingleError("name: a\n---\nname: b\n").Message.Should().Contain("one spec per request").And.Contain("line 2");
    }

    [Fact]
    public void Yaml_anchors_and_aliases_are_rejected()
    {
        var result = SpecDocument.Parse("a: &shared [1, 2]\nb: *shared\n");

        result.IsValid.Should().BeFalse();
        result.Errors.Select(e => e.Pointer).Should().Equal("/a", "/b");
        result.Errors[0].Message.Should().Contain("&shared");
    }

    [Theory]
    [InlineData("name: a\nname: b\n")]
    [InlineData("{\"name\": \"a\", \"name\": \"b\"}")]
    public void A_field_given_twice_is_rejected_at_its_pointer(string text)
    {
        var error = SingleError(text);

        error.Pointer.Should().Be("/name");
        error.Message.Should().Contain("'name' is given twice");
    }

    [Fact]
    public void Nesting_deeper_than_64_levels_is_rejected()
    {
        SingleError("a: " + new string('[', 200) + new string(']', 200)).Message.Should().Contain("64 levels");
    }

    [Fact]
    public void Auto_reads_json_when_the_text_starts_with_a_brace()
    {
        var fromJson = SpecDocument.Parse("  {\"a\": {\"b\": [1, \"x\"]}}");
        var fromYaml = SpecDocument.Parse("a:\n  b:\n    - 1\n    - x\n");

        CanonicalJson.Serialize(fromJson.Value!).Should().Be(CanonicalJson.Serialize(fromYaml.Value!)).And.Be("""{"a":{"b":[1,"x"]}}""");
    }

    [Fact]
    public void Yaml_format_reads_flow_style_json_too()
    {
        SpecDocument.Parse("{\"a\": 1}", SpecFormat.Yaml).Value!["a"]!.GetValue<long>().Should().Be(1);
    }

    [Fact]
    public void A_parsed_document_is_a_plain_json_object()
    {
        SpecDocument.Parse("a: 1").Value.Should().BeOfType<JsonObject>();
    }
}
