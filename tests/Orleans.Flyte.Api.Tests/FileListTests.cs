using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.Tests;

/// <summary><c>list&lt;file&gt;</c> through the local runner: a task writes one file per element, a map node reads each
/// element's file in its own task, and every element's hash is in the events of the task that wrote it and the one that
/// read it.</summary>
public sealed class FileListTests : ExecutionTestBase
{
    /// <summary>Writes parts 0 … n-1 (named by index, so 10 comes after 9, not after 1).</summary>
    private const string Split = """
        mkdir "$FLYTE_OUTPUT_DIR/parts"
        i=0
        while [ "$i" -lt "$FLYTE_INPUT_N" ]; do printf 'part-%s' "$i" > "$FLYTE_OUTPUT_DIR/parts/$i"; i=$((i + 1)); done
        """;

    /// <summary>Reads its one file: its text and the SHA-256 it computes of the bytes it was given.</summary>
    private const string Read = """printf '{"text":"%s","digest":"%s"}' "$(cat "$FLYTE_INPUT_PART")" "$(sha256sum < "$FLYTE_INPUT_PART" | cut -d' ' -f1)" > "$FLYTE_OUTPUTS" """;

    /// <summary>Takes the whole list at once: its input is a JSON array of paths.</summary>
    private const string Join = """
        all=""
        for p in $(printf '%s' "$FLYTE_INPUT_PARTS" | tr -d '[]"' | tr ',' ' '); do all="$all$(cat "$p");"; done
        printf '{"all":"%s"}' "$all" > "$FLYTE_OUTPUTS"
        """;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterTask("split", Split, "{ n: int }", "{ parts: list<file<txt>> }");
        await RegisterTask("read", Read, "{ part: file<txt> }", "{ text: string, digest: string }");
        await RegisterTask("join", Join, "{ parts: list<file> }", "{ all: string }");
        await RegisterWorkflow("""
            name: fan-out
            version: v1
            inputs: { n: int }
            nodes:
              - id: split
                task: split@v1
                inputs: { n: "{{ inputs.n }}" }
              - id: read
                task: read@v1
                map: { over: "{{ nodes.split.outputs.parts }}", input: part, concurrency: 4 }
              - id: join
                task: join@v1
                inputs: { parts: "{{ nodes.split.outputs.parts }}" }
            outputs: { texts: "{{ nodes.read.outputs.text }}", digests: "{{ nodes.read.outputs.digest }}", all: "{{ nodes.join.outputs.all }}" }
            """);
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task A_map_over_a_list_of_files_reads_each_element_in_its_own_task_in_element_order()
    {
        const int n = 12;
        var id = await Submit("fan-out@v1", new { n });
        var done = await WaitForEnd(id);

        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        var texts = Enumerable.Range(0, n).Select(i => string.Create(CultureInfo.InvariantCulture, $"part-{i}")).ToList();
        var hashes = texts.Select(Sha256).ToList();

        var parts = Node(done, "split")["outputs"]!["parts"]!.AsArray();
        parts.Select(p => p!["sha256"]!.GetValue<string>()).Should().Equal(hashes, "the list holds one reference per file, in index order");
        parts.Should().OnlyContain(p => p!["format"]!.GetValue<string>() == "txt" && p["uri"]!.GetValue<string>().StartsWith("artifact://files/", StringComparison.Ordinal));
        done["outputs"]!["texts"]!.AsArray().Select(t => t!.GetValue<string>()).Should().Equal(texts, "map outputs are in element order");
        done["outputs"]!["digests"]!.AsArray().Select(t => t!.GetValue<string>()).Should().Equal(hashes, "element i read exactly the bytes of part i");
        done["outputs"]!["all"]!.GetValue<string>().Should().Be(string.Concat(texts.Select(t => t + ";")), "a list<file> input is the list of paths, in order");

        var timeline = (await Json(await Get($"{Scope}/executions/{id}/events")))["items"]!.AsArray().Select(e => e!.AsObject()).ToList();
        var written = Single(timeline, "AttemptSucceeded", $"execution/{id}/split");
        hashes.Should().OnlyContain(h => written.Contains(h, StringComparison.Ordinal), "audit shows every file the splitting task wrote");
        for (var i = 0; i < n; i++)
        {
            var queued = Single(timeline, "TaskQueued", $"execution/{id}/read[{i}]");
            queued.Should().Contain(hashes[i], $"audit shows which bytes element {i} read");
            hashes.Where((_, j) => j != i).Should().OnlyContain(h => !queued.Contains(h, StringComparison.Ordinal), $"element {i} read only its own file");
        }
    }

    [Fact]
    public async Task An_empty_list_of_files_maps_to_no_elements()
    {
        var done = await WaitForEnd(await Submit("fan-out@v1", new { n = 0 }));

        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        Node(done, "split")["outputs"]!["parts"]!.AsArray().Should().BeEmpty();
        done["outputs"]!["texts"]!.AsArray().Should().BeEmpty();
    }

    [Fact]
    public async Task A_list_output_that_is_not_a_folder_of_files_fails_once_with_the_reason()
    {
        await RegisterTask("flat", """printf x > "$FLYTE_OUTPUT_DIR/parts" """, "{}", "{ parts: list<file> }", "retries: 2");
        await RegisterTask("nested", """mkdir -p "$FLYTE_OUTPUT_DIR/parts/0" """, "{}", "{ parts: list<file> }", "retries: 2");
        await RegisterWorkflow("""
            name: bad-lists
            version: v1
            failure_policy: finish-what-can-finish
            nodes:
              - { id: flat, task: flat@v1 }
              - { id: nested, task: nested@v1 }
            """);

        var done = await WaitForEnd(await Submit("bad-lists@v1"));

        done["phase"]!.GetValue<string>().Should().Be("Failed");
        Node(done, "flat")["error"]!.GetValue<string>().Should().Contain("did not write its list<file> output parts (expected a directory at $FLYTE_OUTPUT_DIR/parts with one file per element)");
        Node(done, "nested")["error"]!.GetValue<string>().Should().Contain("its list<file> output parts holds 0, which is not a file");
        Node(done, "flat")["attempts"]!.AsArray().Should().HaveCount(1, "the same task writes the same thing again");
    }

    private static string Single(List<JsonObject> timeline, string type, string stream) =>
        timeline.Single(e => e["type"]!.GetValue<string>() == type && e["stream"]!.GetValue<string>() == stream).ToJsonString();
}
