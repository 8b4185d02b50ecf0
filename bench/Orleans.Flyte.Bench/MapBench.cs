using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Bench;

/// <summary>
/// One map node (issue 17) of <c>elements</c> real local processes with a concurrency limit, through a real silo and
/// PostgreSQL: the time to finish, and the peak number of attempts running at once, from the start and end instants each
/// process appends to one log (short lines with O_APPEND, so lines from concurrent processes never interleave).
/// </summary>
internal static class MapBench
{
    private const string Step = """
        echo "start $FLYTE_ATTEMPT_ID $(date +%s%N)" >> "$FLYTE_INPUT_DIR/log"
        sleep "$FLYTE_INPUT_SECONDS"
        echo "{\"twice\": $((FLYTE_INPUT_X * 2))}" > "$FLYTE_OUTPUTS"
        echo "end $FLYTE_ATTEMPT_ID $(date +%s%N)" >> "$FLYTE_INPUT_DIR/log"
        """;

    /// <param name="seconds">How long each element's process sleeps (0 for the engine's own pace).</param>
    public static async Task RunAsync(IGrainFactory grains, int elements, int concurrency, double seconds, string workRoot)
    {
        var logDirectory = Path.Combine(workRoot, "map-log");
        Directory.CreateDirectory(logDirectory);
        var task = TaskSpecReader.Read(SpecDocument.Parse($$"""
            name: step
            version: v1
            container: { image: local, command: [sh, -c, {{JsonValue.Create(Step).ToJsonString()}}] }
            inputs: { dir: string, x: int, seconds: float }
            outputs: { twice: int }
            """).Value!).Value!;
        var workflow = WorkflowSpecReader.Read(SpecDocument.Parse($$$"""
            name: sweep
            version: v1
            inputs: { dir: string, xs: list<int>, seconds: float }
            nodes:
              - id: score
                task: step@v1
                map: { over: "{{ inputs.xs }}", input: x, concurrency: {{{concurrency}}} }
                inputs: { dir: "{{ inputs.dir }}", seconds: "{{ inputs.seconds }}" }
            outputs: { twice: "{{ nodes.score.outputs.twice }}" }
            """).Value!).Value!;
        var spec = CanonicalJson.Serialize(task.ToJson());
        var plan = ExecutionPlanCompiler.Compile(workflow, new Dictionary<string, string> { ["step@v1"] = "step@v1" }, _ => spec);
        var inputs = new JsonObject { ["dir"] = logDirectory, ["seconds"] = seconds, ["xs"] = new JsonArray([.. Enumerable.Range(0, elements).Select(i => (JsonNode?)i)]) };

        Console.WriteLine($"Orleans.Flyte map benchmark: 1 map node x {elements} elements, concurrency {concurrency}, each element sleeps {seconds} s, local process runner, {Environment.ProcessorCount} cores, PostgreSQL fsync on");
        var id = ExecutionIds.New();
        var grain = grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("bench", "development", id));
        var clock = Stopwatch.StartNew();
        await grain.Create(new CreateExecution("bench", "development", plan, inputs.ToJsonString(), null, false, null, null, new Dictionary<string, string>(), null, null));
        ExecutionView view;
        while (!(view = (await grain.Get())!).Phase.IsTerminal())
        {
            await Task.Delay(100);
        }

        var elapsed = clock.Elapsed;
        var lines = File.ReadAllLines(Path.Combine(logDirectory, "log")).Select(l => l.Split(' ')).ToList();
        var (running, peak) = (0, 0);
        foreach (var change in lines.Select(p => (At: long.Parse(p[2], CultureInfo.InvariantCulture), Delta: p[0] == "start" ? 1 : -1)).OrderBy(c => c.At).ThenBy(c => c.Delta))
        {
            running += change.Delta;
            peak = Math.Max(peak, running);
        }

        var attempts = lines.Count(p => p[0] == "start");
        Console.WriteLine($"phase                : {view.Phase} {view.Error}");
        Console.WriteLine($"all elements done in : {elapsed.TotalSeconds:F2} s ({elements / elapsed.TotalSeconds:F1} elements/s)");
        Console.WriteLine($"attempts             : {attempts}");
        Console.WriteLine($"peak concurrent      : {peak} (limit {concurrency})");
        if (peak > concurrency || view.Phase != WorkflowPhase.Succeeded)
        {
            throw new InvalidOperationException($"The map ran {peak} attempts at once (limit {concurrency}) and ended {view.Phase}.");
        }
    }
}
