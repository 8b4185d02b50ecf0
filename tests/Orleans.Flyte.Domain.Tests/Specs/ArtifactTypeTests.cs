using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class ArtifactTypeTests
{
    private static readonly string Hash = new('a', 64);

    private static ParameterType Type(string text) =>
        ParameterType.TryParse(text, out var type) ? type : throw new InvalidOperationException($"'{text}' is not a type");

    [Theory]
    [InlineData("file")]
    [InlineData("directory")]
    [InlineData("file<onnx>")]
    [InlineData("directory<parquet>")]
    [InlineData("list<file<csv>>")]
    public void Artifact_types_print_as_they_are_written(string text) => Type(text).ToString().Should().Be(text);

    [Theory]
    [InlineData("file<onxx>", "onxx")]
    [InlineData("directory<>", "")]
    [InlineData("list<file<nope>>", "nope")]
    public void An_unknown_format_does_not_parse_and_is_named(string text, string format)
    {
        ParameterType.TryParse(text, out _).Should().BeFalse();
        ParameterType.IsUnknownArtifactFormat(text, out var named).Should().BeTrue();
        named.Should().Be(format);
    }

    [Theory]
    [InlineData("file", true, false)]
    [InlineData("list<file<csv>>", true, false)]
    [InlineData("list<directory>", true, false)]
    [InlineData("map<file>", false, true)]
    [InlineData("list<list<file>>", false, true)]
    [InlineData("list<int>", false, false)]
    public void Runners_place_files_top_level_or_one_list_deep_and_registration_refuses_deeper(string text, bool carries, bool tooDeep)
    {
        Type(text).CarriesArtifacts.Should().Be(carries);
        Type(text).NestsArtifactsTooDeep.Should().Be(tooDeep);
    }

    [Fact]
    public void A_format_narrows_what_may_be_bound()
    {
        Type("file").IsAssignableFrom(Type("file<onnx>")).Should().BeTrue();
        Type("file<onnx>").IsAssignableFrom(Type("file<onnx>")).Should().BeTrue();
        Type("file<onnx>").IsAssignableFrom(Type("file")).Should().BeFalse();
        Type("file<onnx>").IsAssignableFrom(Type("file<pt>")).Should().BeFalse();
        Type("file").IsAssignableFrom(Type("directory")).Should().BeFalse();
        Type("string").IsAssignableFrom(Type("file")).Should().BeFalse();
        Type("file").IsScalar.Should().BeFalse("a file cannot be put inside text");
    }

    [Fact]
    public void A_value_is_a_reference_whose_hash_matches_its_uri()
    {
        var reference = new ArtifactReference(Hash, 12, IsDirectory: false, "onnx");
        var json = reference.ToJson();
        json["uri"]!.GetValue<string>().Should().Be($"artifact://files/{Hash}");
        Type("file<onnx>").Accepts(json, out _).Should().BeTrue();
        Type("directory").Accepts(json, out _).Should().BeFalse("a file is not a directory");
        ArtifactReference.TryRead(json, out var read).Should().BeTrue();
        read.Should().Be(reference);

        Type("file").Accepts(JsonValue.Create("/tmp/model.onnx"), out var reason).Should().BeFalse("a path typed by hand is not a file value");
        reason.Should().Contain("sha256");
        var forged = (JsonObject)json.DeepClone();
        forged["sha256"] = new string('b', 64);
        ArtifactReference.TryRead(forged, out _).Should().BeFalse("the hash must be the one the uri addresses");
    }
}
