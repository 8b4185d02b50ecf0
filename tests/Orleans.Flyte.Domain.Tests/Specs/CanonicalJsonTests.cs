using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;
using static Orleans.Flyte.Domain.Tests.Specs.SpecSamples;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class CanonicalJsonTests
{
    [Fact]
    public void Keys_are_sorted_at_every_level_without_whitespace()
    {
        CanonicalJson.Serialize(JsonNode.Parse("""{ "b": 1, "a": { "y": 2, "x": [3, { "q": 1, "p": 2 }] } }""")!)
            .Should().Be("""{"a":{"x":[3,{"p":2,"q":1}],"y":2},"b":1}""");
    }

    [Fact]
    public void Escaped_and_unescaped_spellings_of_the_same_text_serialize_alike()
    {
        CanonicalJson.Serialize(JsonNode.Parse("""{"a":"\u0041\u00e9"}""")!)
            .Should().Be(CanonicalJson.Serialize(new JsonObject { ["a"] = "Aé" }));
    }

    [Fact]
    public void Sha256_is_lowercase_hex_of_the_utf8_text()
    {
        CanonicalJson.Sha256("{}").Should().Be("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    }

    [Fact]
    public void The_same_spec_hashes_the_same_whatever_the_format()
    {
        var yaml = CanonicalJson.Serialize(Task(ArchitectureTaskYaml).ToJson());
        var json = CanonicalJson.Serialize(Task(ArchitectureTaskJson).ToJson());

        CanonicalJson.Sha256(yaml).Should().Be(CanonicalJson.Sha256(json));
    }
}

public sealed class SpecDiffTests
{
    [Fact]
    public void A_changed_field_is_one_difference_with_both_values()
    {
        SpecDiff.Compare(JsonNode.Parse("""{"a":1,"b":{"c":"x"}}"""), JsonNode.Parse("""{"a":1,"b":{"c":"y"}}"""))
            .Should().Equal(new SpecDifference("/b/c", "\"x\"", "\"y\""));
    }

    [Fact]
    public void An_added_field_has_no_existing_value()
    {
        SpecDiff.Compare(JsonNode.Parse("""{"a":1}"""), JsonNode.Parse("""{"a":1,"b":{"d":[1]}}"""))
            .Should().Equal(new SpecDifference("/b", null, """{"d":[1]}"""));
    }

    [Fact]
    public void A_removed_field_has_no_submitted_value()
    {
        SpecDiff.Compare(JsonNode.Parse("""{"a":1,"gone":true}"""), JsonNode.Parse("""{"a":1}"""))
            .Should().Equal(new SpecDifference("/gone", "true", null));
    }

    [Fact]
    public void Differences_are_ordered_by_pointer()
    {
        SpecDiff.Compare(JsonNode.Parse("""{"z":1,"a":2,"m":{"b":1}}"""), JsonNode.Parse("""{"z":2,"a":3,"m":{"b":2}}"""))
            .Select(d => d.Pointer).Should().Equal("/a", "/m/b", "/z");
    }

    [Fact]
    public void Lists_are_compared_item_by_item()
    {
        SpecDiff.Compare(JsonNode.Parse("""{"c":["python","train.py"]}"""), JsonNode.Parse("""{"c":["python","fit.py","--fast"]}"""))
            .Should().Equal(new SpecDifference("/c/1", "\"train.py\"", "\"fit.py\""), new SpecDifference("/c/2", null, "\"--fast\""));
    }

    [Fact]
    public void A_null_value_differs_from_an_absent_field()
    {
        SpecDiff.Compare(JsonNode.Parse("""{"a":null}"""), JsonNode.Parse("{}"))
            .Should().Equal(new SpecDifference("/a", "null", null));
    }

    [Fact]
    public void Equal_documents_have_no_differences_whatever_the_key_order()
    {
        SpecDiff.Compare(JsonNode.Parse("""{"a":1,"b":[1,{"x":1,"y":2}]}"""), JsonNode.Parse("""{"b":[1,{"y":2,"x":1}],"a":1}""")).Should().BeEmpty();
    }

    [Fact]
    public void Pointer_tokens_are_escaped()
    {
        SpecDiff.Compare(JsonNode.Parse("""{"a/b":1,"c~d":1}"""), JsonNode.Parse("""{"a/b":2,"c~d":2}"""))
            .Select(d => d.Pointer).Should().Equal("/a~1b", "/c~0d");
    }

    [Fact]
    public void Two_versions_of_a_task_differ_where_the_spec_changed()
    {
        var existing = Task(ArchitectureTaskYaml).ToJson();
        var submitted = Task(Change(ArchitectureTaskYaml, "retries: 2", "retries: 3")).ToJson();

        SpecDiff.Compare(existing, submitted).Should().Equal(new SpecDifference("/retries", "2", "3"));
    }
}
