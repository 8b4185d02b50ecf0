using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class ParameterTypeTests
{
    private static ParameterType Type(string text) =>
        ParameterType.TryParse(text, out var type) ? type : throw new InvalidOperationException($"'{text}' is not a type");

    [Theory]
    [InlineData("string")]
    [InlineData("int")]
    [InlineData("float")]
    [InlineData("bool")]
    [InlineData("datetime")]
    [InlineData("duration")]
    [InlineData("json")]
    [InlineData("list<int>")]
    [InlineData("map<float>")]
    [InlineData("map<list<string>>")]
    public void Types_print_as_they_are_written(string text) => Type(text).ToString().Should().Be(text);

    [Theory]
    [InlineData("list< int >", "list<int>")]
    [InlineData("integer", "int")]
    [InlineData("boolean", "bool")]
    public void Spelling_variants_print_in_one_form(string text, string normal) => Type(text).ToString().Should().Be(normal);

    [Theory]
    [InlineData("")]
    [InlineData("integerish")]
    [InlineData("Int")]
    [InlineData("list<>")]
    [InlineData("list<int")]
    [InlineData("map<string,int>")]
    [InlineData("int?")]
    public void Unknown_types_do_not_parse(string text) => ParameterType.TryParse(text, out _).Should().BeFalse();

    [Theory]
    [InlineData("int", "int", true)]
    [InlineData("float", "int", true)]
    [InlineData("int", "float", false)]
    [InlineData("string", "int", false)]
    [InlineData("datetime", "string", false)]
    [InlineData("json", "list<int>", true)]
    [InlineData("json", "datetime", true)]
    [InlineData("int", "json", false)]
    [InlineData("list<float>", "list<int>", true)]
    [InlineData("list<json>", "list<map<int>>", true)]
    [InlineData("list<int>", "list<string>", false)]
    [InlineData("list<int>", "map<int>", false)]
    [InlineData("map<float>", "map<int>", true)]
    [InlineData("map<int>", "map<float>", false)]
    public void Assignability_allows_same_type_int_to_float_anything_to_json_and_covariant_collections(string target, string source, bool assignable)
    {
        Type(target).IsAssignableFrom(Type(source)).Should().Be(assignable);
    }

    [Theory]
    [InlineData("int", "3", true)]
    [InlineData("int", "3.0", true)]
    [InlineData("int", "3.5", false)]
    [InlineData("int", "\"3\"", false)]
    [InlineData("float", "3", true)]
    [InlineData("float", "0.1", true)]
    [InlineData("string", "3", false)]
    [InlineData("string", "\"x\"", true)]
    [InlineData("bool", "true", true)]
    [InlineData("bool", "\"true\"", false)]
    [InlineData("datetime", "\"2024-05-01\"", true)]
    [InlineData("datetime", "\"2024-05-01T02:00:00Z\"", true)]
    [InlineData("datetime", "\"2024-05-01T02:00:00+09:00\"", true)]
    [InlineData("datetime", "\"May 1 2024\"", false)]
    [InlineData("datetime", "\"2024-13-01\"", false)]
    [InlineData("duration", "\"1h30m\"", true)]
    [InlineData("duration", "\"PT2H\"", true)]
    [InlineData("duration", "\"long\"", false)]
    [InlineData("json", "null", true)]
    [InlineData("json", "{\"a\":[1]}", true)]
    [InlineData("list<int>", "[1,2]", true)]
    [InlineData("list<int>", "[1,\"2\"]", false)]
    [InlineData("list<int>", "1", false)]
    [InlineData("map<list<int>>", "{\"a\":[1],\"b\":[]}", true)]
    [InlineData("map<int>", "{\"a\":\"x\"}", false)]
    [InlineData("string", "null", false)]
    public void Literals_are_checked_against_the_type(string type, string literal, bool accepted)
    {
        Type(type).Accepts(JsonNode.Parse(literal), out var reason).Should().Be(accepted, reason);
        (reason.Length == 0).Should().Be(accepted);
    }

    [Fact]
    public void A_rejected_literal_names_the_value_and_the_type()
    {
        Type("int").Accepts(JsonValue.Create("ten"), out var reason);

        reason.Should().Be("the text 'ten' is not an int (write the number without quotes)");
    }

    [Fact]
    public void A_rejected_item_names_its_place_in_the_collection()
    {
        Type("map<list<int>>").Accepts(JsonNode.Parse("""{"a":[1,"two"]}"""), out var reason);

        reason.Should().Contain("[\"a\"][1]").And.Contain("'two'").And.Contain("an int");
    }
}
