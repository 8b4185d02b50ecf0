using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Orleans.Flyte.Api.OpenApi;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests;

/// <summary>Map nodes end to end (issue 17): real processes through the local runner, HTTP only.</summary>
public sealed class MapNodeTests : ExecutionTestBase
{
    /// <summary>Logs its start and end, fails for a negative x, else outputs twice x.</summary>
    private const string Score = """
        echo "start $FLYTE_ATTEMPT_ID $(date +%s%N)" >> "$FLYTE_INPUT_DIR/log"
        sleep 0.3
        echo "end $FLYTE_ATTEMPT_ID $(date +%s%N)" >> "$FLYTE_INPUT_DIR/log"
        if [ "$FLYTE_INPUT_X" -lt 0 ]; then echo "negative $FLYTE_INPUT_X" >&2; exit 1; fi
        if [ -e "$FLYTE_INPUT_DIR/fail-$FLYTE_INPUT_X" ]; then echo "told to fail" >&2; exit 1; fi
        echo "x is $FLYTE_INPUT_X"
        echo "{\"twice\": $((FLYTE_INPUT_X * 2))}" > "$FLYTE_OUTPUTS"
        """;

    private const string Gate = """
        if [ -e "$FLYTE_INPUT_DIR/block" ]; then echo blocked >&2; exit 1; fi
        echo "{\"seen\": $FLYTE_INPUT_VALUES}" > "$FLYTE_OUTPUTS"
        """;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterTask("score", Score, "{ dir: string, x: int }", "{ twice: int }");
        await RegisterTask("score-cached", Score, "{ dir: string, x: int }", "{ twice: int }", "cache: { enabled: true, version: \"1\" }");
        await RegisterTask("nap", "sleep 60", "{ x: int }", "{}");
        await RegisterTask("gate", Gate, "{ dir: string, values: json }", "{ seen: json }");
        await RegisterWorkflow(Sweep("sweep", "score@v1", "concurrency: 3"));
        await RegisterWorkflow(Sweep("lenient", "score@v1", "concurrency: 4, min_success_ratio: 0.5"));
        await RegisterWorkflow(Sweep("cached-sweep", "score-cached@v1", "concurrency: 2"));
        await RegisterWorkflow("""
            name: naps
            version: v1
            inputs: { xs: list<int> }
            nodes:
              - { id: nap, task: nap@v1, map: { over: "{{ inputs.xs }}", input: x, concurrency: 2 } }
            """);
    }

    private static string Sweep(string name, string task, string settings) => $$$"""
        name: {{{name}}}
        version: v1
        inputs: { dir: string, xs: list<int> }
        nodes:
          - id: score
            task: {{{task}}}
            map: { over: "{{ inputs.xs }}", input: x, {{{settings}}} }
            inputs: { dir: "{{ inputs.dir }}" }
          - id: gate
            task: gate@v1
            inputs: { dir: "{{ inputs.dir }}", values: "{{ nodes.score.outputs.twice }}" }
        outputs: { twice: "{{ nodes.gate.outputs.seen }}" }
        """;

    private static List<int> Xs(params int[] xs) => [.. xs];

    private string LogPath => Path.Combine(Scratch, "log");

    private int Starts => File.Exists(LogPath) ? File.ReadAllLines(LogPath).Count(l => l.StartsWith("start", StringComparison.Ordinal)) : 0;

    /// <summary>The most attempts running at one time, from the start and end lines the task wrote.</summary>
    private int PeakConcurrentAttempts()
    {
        var changes = File.ReadAllLines(LogPath).Select(l => l.Split(' '))
            .Select(p => (At: long.Parse(p[2], CultureInfo.InvariantCulture), Delta: p[0] == "start" ? 1 : -1))
            .OrderBy(c => c.At).ThenBy(c => c.Delta);
        var (running, peak) = (0, 0);
        foreach (var change in changes)
        {
            running += change.Delta;
            peak = Math.Max(peak, running);
        }

        return peak;
    }

    private static JsonArray Elements(JsonObject execution, string node) => Node(execution, node)["elements"]!.AsArray();

    private static string PhaseOf(JsonNode? node) => node!["phase"]!.GetValue<string>();

    [Fact]
    public async Task A_map_runs_its_task_per_element_never_more_than_its_concurrency_at_once_and_outputs_lists_in_element_order()
    {
        var xs = Enumerable.Range(1, 10).ToArray();

        var done = await WaitForEnd(await Submit("sweep@v1", new { dir = Scratch, xs }));

        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        done["outputs"]!["twice"]!.ToJsonString().Should().Be("[2,4,6,8,10,12,14,16,18,20]");
        Node(done, "score")["outputs"]!.ToJsonString().Should().Be("""{"twice":[2,4,6,8,10,12,14,16,18,20]}""");
        var elements = Elements(done, "score");
        elements.Select(e => e!["id"]!.GetValue<string>()).Should().Equal(xs.Select((_, i) => $"score[{i}]"));
        elements.Should().OnlyContain(e => PhaseOf(e) == "Succeeded" && e!["attempts"]!.AsArray().Count == 1);
        elements[4]!["attempts"]![0]!["attemptId"]!.GetValue<string>().Should().EndWith(".score[4].1");
        Starts.Should().Be(10, "each element ran once");
        PeakConcurrentAttempts().Should().BeInRange(1, 3, "concurrency is 3");
    }

    [Fact]
    public async Task Each_element_has_its_own_logs_addressed_as_node_index()
    {
        var id = await Submit("sweep@v1", new { dir = Scratch, xs = Xs(5, 7) });
        await WaitForEnd(id);

        var logs = await Json(await Get($"{Scope}/executions/{id}/nodes/score[1]/attempts/1/logs"));

        logs["stdout"]!.GetValue<string>().Should().Contain("x is 7");
        logs["attemptId"]!.GetValue<string>().Should().EndWith(".score[1].1");
    }

    [Fact]
    public async Task As_of_an_instant_each_element_is_replayed_with_its_attempts_as_the_live_answer_showed_them()
    {
        var id = await Submit("sweep@v1", new { dir = Scratch, xs = Xs(1, -2, 3) });
        var live = await WaitForEnd(id);
        var finishedAt = live["finishedAt"]!.GetValue<DateTimeOffset>();

        var past = await Json(await Get($"{Scope}/executions/{id}?asOf={Uri.EscapeDataString(finishedAt.AddSeconds(1).ToString("O", CultureInfo.InvariantCulture))}"));

        Elements(live, "score").Should().HaveCount(3).And.OnlyContain(e => e!["attempts"]!.AsArray().Count > 0);
        Elements(past, "score").ToJsonString().Should().Be(Elements(live, "score").ToJsonString(), "the elements' task streams fold to what their grains answered");
        past.ToJsonString().Should().Be(live.ToJsonString());
    }

    [Fact]
    public async Task A_map_fails_when_fewer_elements_succeed_than_it_needs_and_skips_what_follows()
    {
        var done = await WaitForEnd(await Submit("sweep@v1", new { dir = Scratch, xs = Xs(1, -2, 3) }));

        done["phase"]!.GetValue<string>().Should().Be("Failed");
        Node(done, "score")["error"]!.GetValue<string>().Should().Contain("2 of 3 elements succeeded, 3 required").And.Contain("score[1]");
        PhaseOf(Elements(done, "score")[1]).Should().Be("Failed");
        Elements(done, "score")[1]!["error"]!.GetValue<string>().Should().Contain("negative -2");
        PhaseOf(Node(done, "gate")).Should().Be("Skipped");
    }

    [Fact]
    public async Task A_map_that_meets_its_minimum_succeeds_with_null_for_the_elements_that_failed()
    {
        var done = await WaitForEnd(await Submit("lenient@v1", new { dir = Scratch, xs = Xs(1, -2, 3, -4) }));

        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        done["outputs"]!["twice"]!.ToJsonString().Should().Be("[2,null,6,null]");
    }

    [Fact]
    public async Task Aborting_stops_the_elements_in_flight_and_starts_no_more()
    {
        var id = await Submit("naps@v1", new { xs = Xs(1, 2, 3, 4, 5) });
        await Eventually.Until(() => Execution(id), e => Elements(e, "nap").Count(x => PhaseOf(x) == "Running") == 2,
            "two elements to be running", TimeSpan.FromSeconds(30), describe: e => e.ToJsonString());

        (await Post($"{Scope}/executions/{id}/abort", "{}", "application/json")).StatusCode.Should().Be(HttpStatusCode.OK);
        var done = await WaitForEnd(id);

        done["phase"]!.GetValue<string>().Should().Be("Aborted");
        PhaseOf(Node(done, "nap")).Should().Be("Aborted");
        Elements(done, "nap").Select(PhaseOf).Should().Equal("Aborted", "Aborted", "NotReady", "NotReady", "NotReady");
    }

    [Fact]
    public async Task Recover_reuses_a_succeeded_map_and_relaunch_runs_every_element_again()
    {
        File.WriteAllText(Path.Combine(Scratch, "block"), "x");
        var failed = await WaitForEnd(await Submit("sweep@v1", new { dir = Scratch, xs = Xs(1, 2, 3) }));
        failed["phase"]!.GetValue<string>().Should().Be("Failed");
        Starts.Should().Be(3);
        File.Delete(Path.Combine(Scratch, "block"));

        var recovered = await WaitForEnd(await Rerun(failed["id"]!.GetValue<string>(), "recover"));
        recovered["phase"]!.GetValue<string>().Should().Be("Succeeded");
        recovered["outputs"]!["twice"]!.ToJsonString().Should().Be("[2,4,6]");
        Node(recovered, "score")["recoveredFrom"]!.GetValue<string>().Should().Be(failed["id"]!.GetValue<string>());
        Starts.Should().Be(3, "the recovered map ran no element");

        var relaunched = await WaitForEnd(await Rerun(failed["id"]!.GetValue<string>(), "relaunch"));
        relaunched["phase"]!.GetValue<string>().Should().Be("Succeeded");
        Starts.Should().Be(6, "a relaunch runs every element again");
    }

    [Fact]
    public async Task Recover_of_a_failed_map_runs_only_the_elements_that_failed()
    {
        File.WriteAllText(Path.Combine(Scratch, "fail-2"), "x");
        var failed = await WaitForEnd(await Submit("sweep@v1", new { dir = Scratch, xs = Xs(1, 2, 3) }));
        failed["phase"]!.GetValue<string>().Should().Be("Failed");
        File.Delete(Path.Combine(Scratch, "fail-2"));

        var recovered = await WaitForEnd(await Rerun(failed["id"]!.GetValue<string>(), "recover"));

        recovered["phase"]!.GetValue<string>().Should().Be("Succeeded", recovered.ToJsonString());
        recovered["outputs"]!["twice"]!.ToJsonString().Should().Be("[2,4,6]");
        Starts.Should().Be(4, "elements 0 and 2 are reused; only element 1 runs again");
        Elements(recovered, "score")[1]!["attempts"]!.AsArray().Should().ContainSingle();
        Elements(recovered, "score")[0]!["attempts"]!.AsArray().Should().BeEmpty();
    }

    [Fact]
    public async Task Caching_works_per_element()
    {
        (await WaitForEnd(await Submit("cached-sweep@v1", new { dir = Scratch, xs = Xs(1, 2) })))["phase"]!.GetValue<string>().Should().Be("Succeeded");

        var second = await WaitForEnd(await Submit("cached-sweep@v1", new { dir = Scratch, xs = Xs(2, 3) }));

        second["phase"]!.GetValue<string>().Should().Be("Succeeded");
        second["outputs"]!["twice"]!.ToJsonString().Should().Be("[4,6]");
        Elements(second, "score").Select(e => e!["cacheHit"]!.GetValue<bool>()).Should().Equal(true, false);
        Starts.Should().Be(3, "x = 2 ran once, for the first execution");
    }

    [Fact]
    public void The_published_workflow_schema_describes_map_nodes()
    {
        // Without its $id: JsonSchema.Net registers a schema by $id once per process, and OpenApiContractTests builds this one too.
        var text = SpecSchemas.Read("WorkflowSpec");
        text.Remove("$id");
        var schema = JsonSchema.FromText(text.ToJsonString());
        var sweep = SpecDocument.Parse(Sweep("sweep", "score@v1", "concurrency: 3, min_success: 2"), SpecFormat.Yaml).Value!;

        schema.Evaluate(JsonSerializer.SerializeToElement(sweep)).IsValid.Should().BeTrue();
        var broken = SpecDocument.Parse(Sweep("sweep", "score@v1", "concurrency: 0, parallel: 2"), SpecFormat.Yaml).Value!;
        schema.Evaluate(JsonSerializer.SerializeToElement(broken)).IsValid.Should().BeFalse();
    }

    private async Task<string> Rerun(string id, string how)
    {
        var response = await Post($"{Scope}/executions/{id}/{how}", "{}", "application/json");
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await Json(response))["id"]!.GetValue<string>();
    }
}
