using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Grains.Tests.Executions;

/// <summary>
/// A map node (issue 17) in flight when a silo dies without shutting down: a new silo carries on, every element ends
/// once, no element runs twice at once, and the map never has more than its concurrency running.
/// </summary>
public sealed class MapSiloCrashTests() : SiloCrashTestBase("mapcrash")
{
    private const int Elements = 12;
    private const int Concurrency = 3;

    private static readonly string Step = LoggedStep(@"""{\""twice\"": $((FLYTE_INPUT_X * 2))}""");

    [Fact]
    public async Task A_silo_killed_mid_map_the_map_resumes_elsewhere_and_no_element_runs_twice_at_once()
    {
        await using var run = await CrashMidRun(Command(), endedBeforeCrash: 2, "some elements to have finished");

        run.View.Phase.Should().Be(WorkflowPhase.Succeeded, run.View.Error);
        run.View.OutputsJson.Should().Be(new JsonObject { ["twice"] = new JsonArray([.. Enumerable.Range(0, Elements).Select(i => (JsonNode?)(i * 2))]) }.ToJsonString());
        NoOverlapPerNode(run.Runs);
        run.Runs.Select(a => a.Node).Distinct().Should().HaveCount(Elements, "every element ran");
        Peak(run.Runs).Should().BeLessThanOrEqualTo(Concurrency);
    }

    private static int Peak(List<AttemptRun> runs)
    {
        var (running, peak) = (0, 0);
        foreach (var change in runs.SelectMany(a => new[] { (At: a.Start, Delta: 1), (At: a.End, Delta: -1) }).OrderBy(c => c.At).ThenBy(c => c.Delta))
        {
            running += change.Delta;
            peak = Math.Max(peak, running);
        }

        return peak;
    }

    private CreateExecution Command()
    {
        var task = TaskSpecReader.Read(SpecDocument.Parse($$"""
            name: step
            version: v1
            container: { image: local, command: [sh, -c, {{JsonValue.Create(Step).ToJsonString()}}] }
            inputs: { dir: string, x: int }
            outputs: { twice: int }
            retries: 3
            """).Value!).Value!;
        var workflow = WorkflowSpecReader.Read(SpecDocument.Parse($$$"""
            name: sweep
            version: v1
            inputs: { dir: string, xs: list<int> }
            nodes:
              - id: score
                task: step@v1
                map: { over: "{{ inputs.xs }}", input: x, concurrency: {{{Concurrency}}} }
                inputs: { dir: "{{ inputs.dir }}" }
            outputs: { twice: "{{ nodes.score.outputs.twice }}" }
            """).Value!).Value!;
        var spec = CanonicalJson.Serialize(task.ToJson());
        var plan = ExecutionPlanCompiler.Compile(workflow, new Dictionary<string, string> { ["step@v1"] = "step@v1" }, _ => spec);
        var inputs = new JsonObject { ["dir"] = Scratch, ["xs"] = new JsonArray([.. Enumerable.Range(0, Elements).Select(i => (JsonNode?)i)]) };
        return new CreateExecution("lab", "development", plan, inputs.ToJsonString(), null, false, null, null,
            new Dictionary<string, string>(), null, null);
    }
}
