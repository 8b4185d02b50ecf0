using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.Tests;

/// <summary>A file written by one task and read by the next, through the local runner: the bytes go through the
/// content-addressed store, and the hash shows in both tasks' events.</summary>
public sealed class FileArtifactTests : ExecutionTestBase
{
    private const string Produce = "printf 'weights-%s' \"$FLYTE_INPUT_SEED\" > \"$FLYTE_OUTPUT_DIR/model\"";

    /// <summary>Derives its output from the bytes it read: their SHA-256, computed by the task itself.</summary>
    private const string Consume = """printf '{"digest":"%s"}' "$(sha256sum < "$FLYTE_INPUT_MODEL" | cut -d' ' -f1)" > "$FLYTE_OUTPUTS" """;

    private const string Pipeline = """
        name: handoff
        version: v1
        inputs: { seed: string }
        outputs: { digest: "{{ nodes.consume.outputs.digest }}" }
        nodes:
          - id: produce
            task: produce@v1
            inputs: { seed: "{{ inputs.seed }}" }
          - id: consume
            task: consume@v1
            inputs: { model: "{{ nodes.produce.outputs.model }}" }
        """;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterTask("produce", Produce, "{ seed: string }", "{ model: file<onnx> }");
        await RegisterTask("consume", Consume, "{ model: file<onnx> }", "{ digest: string }", "cache: { enabled: true, version: \"1\" }");
        await RegisterWorkflow(Pipeline);
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task A_file_written_by_one_task_is_read_by_the_next_and_its_hash_is_in_both_tasks_events()
    {
        var id = await Submit("handoff@v1", new { seed = "1" });
        var execution = await WaitForEnd(id);

        execution["phase"]!.GetValue<string>().Should().Be("Succeeded", execution.ToJsonString());
        var hash = Sha256("weights-1");
        var model = Node(execution, "produce")["outputs"]!["model"]!;
        model["sha256"]!.GetValue<string>().Should().Be(hash);
        model["uri"]!.GetValue<string>().Should().Be($"artifact://files/{hash}");
        model["format"]!.GetValue<string>().Should().Be("onnx");
        Node(execution, "consume")["outputs"]!["digest"]!.GetValue<string>().Should().Be(hash, "B read exactly the bytes A wrote");
        File.ReadAllText(Path.Combine(Factory.ArtifactRoot, "files", hash)).Should().Be("weights-1");

        var timeline = (await Json(await Get($"{Scope}/executions/{id}/events")))["items"]!.AsArray().Select(e => e!.AsObject()).ToList();
        Event(timeline, "AttemptSucceeded", "produce").Should().Contain(hash, "audit shows which bytes A wrote");
        Event(timeline, "TaskQueued", "consume").Should().Contain(hash, "audit shows which bytes B read");
    }

    [Fact]
    public async Task The_cache_keys_on_the_content_hash_of_a_file_input()
    {
        var first = await WaitForEnd(await Submit("handoff@v1", new { seed = "2" }));
        var same = await WaitForEnd(await Submit("handoff@v1", new { seed = "2" }));
        var other = await WaitForEnd(await Submit("handoff@v1", new { seed = "3" }));

        Node(first, "consume")["cacheHit"]!.GetValue<bool>().Should().BeFalse();
        Node(same, "produce")["cacheHit"]!.GetValue<bool>().Should().BeFalse("produce is not cached: it wrote the file again");
        Node(same, "consume")["cacheHit"]!.GetValue<bool>().Should().BeTrue("the same bytes have the same hash, so the same cache key");
        Node(other, "consume")["cacheHit"]!.GetValue<bool>().Should().BeFalse("other bytes, other key");
        Node(other, "consume")["outputs"]!["digest"]!.GetValue<string>().Should().Be(Sha256("weights-3"));
    }

    [Fact]
    public async Task A_task_that_does_not_write_its_declared_file_fails_once_with_the_reason()
    {
        await RegisterTask("forgetful", "true", "{}", "{ model: file }", "retries: 3");
        await RegisterWorkflow("""
            name: forgets
            version: v1
            nodes:
              - id: only
                task: forgetful@v1
            """);

        var execution = await WaitForEnd(await Submit("forgets@v1"));

        execution["phase"]!.GetValue<string>().Should().Be("Failed");
        var node = Node(execution, "only");
        node["error"]!.GetValue<string>().Should().Contain("did not write its file output model (expected a file at $FLYTE_OUTPUT_DIR/model)");
        node["attempts"]!.AsArray().Should().HaveCount(1, "a missing output is permanent: retrying writes nothing again");
    }

    private static string Event(List<JsonObject> timeline, string type, string node) =>
        timeline.Single(e => e["type"]!.GetValue<string>() == type && e["stream"]!.GetValue<string>().Contains(node, StringComparison.Ordinal)).ToJsonString();
}
