using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Grains.Artifacts;

namespace Orleans.Flyte.Api.Tests;

/// <summary>Artifact collection over a running platform: what no stored event names is removed once its grace period
/// has passed, what a run read or wrote stays, and the metric says how much went.</summary>
public sealed class ArtifactCollectionTests : ExecutionTestBase
{
    private static readonly DateTime s_longAgo = DateTime.UtcNow.AddDays(-30);

    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>
    {
        ["Flyte:Artifacts:GracePeriod"] = "1.00:00:00",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterTask("copy", """cp "$FLYTE_INPUT_SOURCE" "$FLYTE_OUTPUT_DIR/copy"; printf 'more' >> "$FLYTE_OUTPUT_DIR/copy" """, "{ source: file }", "{ copy: file }");
        await RegisterWorkflow("""
            name: copier
            version: v1
            inputs: { source: file }
            nodes:
              - id: copy
                task: copy@v1
                inputs: { source: "{{ inputs.source }}" }
            """);
    }

    private async Task<JsonObject> Upload(string text)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var response = await Http.PostAsync(new Uri($"{Scope}/artifacts", UriKind.Relative), content);
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        return await Json(response);
    }

    private string PathOf(JsonNode reference) => Path.Combine(Factory.ArtifactRoot, "files", reference["sha256"]!.GetValue<string>());

    private void Age(JsonNode reference) => File.SetLastWriteTimeUtc(PathOf(reference), s_longAgo);

    [Fact]
    public async Task Unreferenced_artifacts_past_their_grace_period_are_removed_and_those_a_run_used_are_kept()
    {
        var input = await Upload("input of a run");
        var done = await WaitForEnd(await Submit("copier@v1", new { source = input }));
        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        var output = Node(done, "copy")["outputs"]!["copy"]!;
        var abandoned = await Upload("uploaded, never submitted");
        var recent = await Upload("uploaded a moment ago");
        Age(input);
        Age(output);
        Age(abandoned);

        var removal = await Factory.Services.GetRequiredService<ArtifactCollector>().CollectAsync();

        removal.Objects.Should().Be(1);
        removal.Bytes.Should().Be("uploaded, never submitted".Length);
        File.Exists(PathOf(abandoned)).Should().BeFalse();
        File.Exists(PathOf(input)).Should().BeTrue("the run's events name what it was given");
        File.Exists(PathOf(output)).Should().BeTrue("the run's events name what its task wrote");
        File.Exists(PathOf(recent)).Should().BeTrue("an upload is kept for the grace period, so it can still be submitted");

        var metrics = await (await Get("/metrics")).Content.ReadAsStringAsync();
        metrics.Should().Contain("flyte_artifacts_removed_total 1").And.Contain($"flyte_artifacts_removed_bytes_total {"uploaded, never submitted".Length}");
        metrics.Should().Contain("flyte_artifact_collections_total{result=\"complete\"} 1");
    }
}
