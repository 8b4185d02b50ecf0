using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Orleans.Flyte.Api.Tests.Gpus;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests.Audit;

/// <summary>
/// As-of equals live: while a mix of runs goes on (successes, a retry, an abort, a GPU wait, a scheduled fire of a launch
/// plan on the test clock, a relaunch), a sampler records
/// what the live API answers, with the instants just before and after each request. Afterwards the as-of answer of every
/// sample, replayed from the stored events, equals the recording at an instant inside that request's window, or just before
/// the stamp of an event whose write was still in flight when the live answer was read, or (the answer reads the workflow's
/// grain before its tasks') the execution as of one such instant with its nodes as of a later one: 100% of them.
/// The sampler records the GPU capacity view too (who held the slice, who waited); its answers name their own instant,
/// and the as-of answer for that instant equals each of them.
/// </summary>
public sealed class AsOfReplayTests(Xunit.Abstractions.ITestOutputHelper output) : ExecutionTestBase
{
    private const string GpuNode = "gpu-audit-01";

    private readonly TestClock _schedules = new(new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero));

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(TestInventory.Settings(GpuNode, "mig:3g.20gb"))
    {
        ["Flyte:LaunchPlans:ReminderPeriod"] = "00:00:05",
        ["Flyte:LaunchPlans:PollInterval"] = "00:00:01",
    };

    /// <summary>Schedules run on the test clock: moving it a minute fires the every-minute launch plan once.</summary>
    protected override Action<Microsoft.Extensions.DependencyInjection.IServiceCollection> TestServices => _schedules.DriveSchedules;

    /// <summary>How long before a request an event still in flight may have been stamped (a write under load).</summary>
    private static readonly TimeSpan InFlightWindow = TimeSpan.FromSeconds(5);

    private sealed record Sample(string Execution, DateTimeOffset Before, DateTimeOffset After, JsonObject Live);

    [Fact]
    public async Task Every_live_answer_recorded_during_a_mix_of_runs_equals_the_as_of_answer_for_its_instant()
    {
        await RegisterTask("hold", $"echo x > {Scratch}/$FLYTE_INPUT_NAME.gpu; while [ ! -f {Scratch}/$FLYTE_INPUT_NAME.go ]; do sleep 0.05; done",
            inputs: "{ name: string }", extra: "resources: { gpu: { profile: mig-3g.20gb } }");
        await RegisterWorkflow("name: hold\nversion: v1\ninputs: { name: string }\nnodes: [ { id: hold, task: hold@v1, inputs: { name: \"{{ inputs.name }}\" } } ]\n");
        await RegisterTask("inc", "echo \"{\\\"y\\\": $((FLYTE_INPUT_X + 1))}\" > \"$FLYTE_OUTPUTS\"", "{ x: int }", "{ y: int }");
        await RegisterWorkflow("""
            name: chain
            version: v1
            inputs: { x: int }
            nodes:
              - { id: one, task: inc@v1, inputs: { x: "{{ inputs.x }}" } }
              - { id: two, task: inc@v1, inputs: { x: "{{ nodes.one.outputs.y }}" } }
              - { id: three, task: inc@v1, inputs: { x: "{{ nodes.two.outputs.y }}" } }
            outputs: { result: "{{ nodes.three.outputs.y }}" }
            """);
        await RegisterTask("flaky", $"if [ ! -f {Scratch}/tried ]; then touch {Scratch}/tried; exit 3; fi; echo '{{}}' > \"$FLYTE_OUTPUTS\"", extra: "retries: 1");
        await RegisterWorkflow("name: flaky\nversion: v1\nnodes: [ { id: try, task: flaky@v1 } ]\n");
        await RegisterTask("forever", $"echo $$ > {Scratch}/forever.pid; while true; do sleep 0.05; done");
        await RegisterWorkflow("name: forever\nversion: v1\nnodes: [ { id: loop, task: forever@v1 } ]\n");

        var executions = new ConcurrentDictionary<string, bool>();
        var samples = new ConcurrentBag<Sample>();
        var capacities = new ConcurrentBag<JsonObject>();
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var id in executions.Keys)
                {
                    samples.Add(await Record(id));
                }

                capacities.Add(await Json(await Get("/api/v1/capacity")));
                await Task.Delay(25); // pacing of the recorder, not a wait for anything
            }
        });

        var first = Track(executions, await Submit("hold@v1", new { name = "first" }));
        await WaitForFile($"{Scratch}/first.gpu", TimeSpan.FromSeconds(30));
        var second = Track(executions, await Submit("hold@v1", new { name = "second" }));
        await Eventually.Until(() => Execution(second), e => Node(e, "hold")["phase"]!.GetValue<string>() == "WaitingForResources",
            "the second run to wait for the slice", TimeSpan.FromSeconds(30));
        var chain = Track(executions, await Submit("chain@v1", new { x = 1 }));
        var flaky = Track(executions, await Submit("flaky@v1"));
        var scheduled = Track(executions, await FireSchedule());
        var forever = Track(executions, await Submit("forever@v1"));
        await WaitForPidFile($"{Scratch}/forever.pid", TimeSpan.FromSeconds(30));
        (await Http.PostAsJsonAsync(new Uri($"{Scope}/executions/{forever}/abort", UriKind.Relative), new { reason = "audit replay test" })).EnsureSuccessStatusCode();
        await File.WriteAllTextAsync($"{Scratch}/first.go", string.Empty);
        await WaitForFile($"{Scratch}/second.gpu", TimeSpan.FromSeconds(30));
        await File.WriteAllTextAsync($"{Scratch}/second.go", string.Empty);
        foreach (var id in new[] { first, second, chain, flaky, forever, scheduled })
        {
            await WaitForEnd(id);
        }

        var relaunch = await Http.PostAsync(new Uri($"{Scope}/executions/{chain}/relaunch", UriKind.Relative), null);
        relaunch.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var relaunched = Track(executions, (await Json(relaunch))["id"]!.GetValue<string>());
        await WaitForEnd(relaunched);
        await stop.CancelAsync();
        await sampler;
        foreach (var id in executions.Keys)
        {
            samples.Add(await Record(id));
        }

        var phases = samples.Select(s => s.Live["phase"]!.GetValue<string>()).ToHashSet();
        phases.Should().Contain(["Running", "Succeeded", "Aborted"]);
        samples.SelectMany(s => s.Live["nodes"]!.AsArray()).Select(n => n!["phase"]!.GetValue<string>()).Should().Contain("WaitingForResources");
        (await Execution(flaky))["nodes"]![0]!["attempts"]!.AsArray().Should().HaveCount(2, "the flaky task was retried once");
        samples.Where(s => s.Execution == scheduled).Should().NotBeEmpty()
            .And.OnlyContain(s => s.Live["scheduledAt"]!.GetValue<DateTimeOffset>() == _schedules.Start.AddMinutes(1), "the run was fired by the schedule");

        var stamps = new Dictionary<string, List<DateTimeOffset>>();
        foreach (var id in executions.Keys)
        {
            var timeline = await Json(await Get($"{Scope}/executions/{id}/events"));
            stamps[id] = [.. timeline["items"]!.AsArray().Select(e => e!["at"]!.GetValue<DateTimeOffset>()).Order()];
        }

        var mismatches = new List<string>();
        foreach (var sample in samples)
        {
            // An event is stamped when its grain decides and is live once its write is durable, so a live answer read while
            // a write was in flight is the state as of just before that event's stamp, which may precede the request.
            var stamped = stamps[sample.Execution];
            var candidates = new[] { sample.Before }
                .Concat(stamped.Where(t => t > sample.Before && t <= sample.After))
                .Concat(stamped.Where(t => t > sample.Before - InFlightWindow && t <= sample.After).Select(t => t.AddTicks(-1)));
            var matched = false;
            JsonObject? lastAsOf = null;
            var replayed = new List<JsonObject>();
            foreach (var instant in candidates.Order())
            {
                var response = await Get($"{Scope}/executions/{sample.Execution}?asOf={Uri.EscapeDataString(instant.ToString("O", CultureInfo.InvariantCulture))}");
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    continue;
                }

                lastAsOf = Comparable(await Json(response));
                replayed.Add(lastAsOf);
                if (JsonNode.DeepEquals(lastAsOf, sample.Live))
                {
                    matched = true;
                    break;
                }
            }

            // The live answer reads the workflow's grain, then each task's grain: an abort decided between the two reads
            // and a task's news that arrived after it are both in no single instant of the answer. It is then the execution
            // as of one instant with its nodes as of a later one inside the same window.
            matched = matched || replayed.Select((early, i) => (early, i)).Any(e =>
                JsonNode.DeepEquals(WithoutNodes(e.early), WithoutNodes(sample.Live))
                && replayed.Skip(e.i).Any(later => JsonNode.DeepEquals(later["nodes"], sample.Live["nodes"])));
            if (!matched)
            {
                mismatches.Add($"{sample.Execution} [{sample.Before:O}, {sample.After:O}]\n live:  {sample.Live.ToJsonString()}\n as-of: {lastAsOf?.ToJsonString()}");
            }
        }

        output.WriteLine($"{samples.Count} live answers of {executions.Count} executions recorded; {samples.Count - mismatches.Count} replayed exactly.");
        samples.Count.Should().BeGreaterThan(30);
        mismatches.Should().BeEmpty($"every one of {samples.Count} live answers must be replayed exactly");

        var (capacityMismatches, inFlight) = await CapacityMismatches(capacities);
        output.WriteLine($"{capacities.Count} live capacity answers recorded; {capacities.Count - capacityMismatches.Count} replayed exactly " +
            $"({inFlight} of them as of just before a decision whose write was in flight when the live answer was read).");
        capacities.Should().Contain(c => c["queue"]!.AsArray().Count > 0, "the second run waited for the slice")
            .And.Contain(c => c["queue"]!.AsArray().Count == 0 && HeldSlices(c).Any());
        capacityMismatches.Should().BeEmpty($"every one of {capacities.Count} live capacity answers must be replayed exactly");
    }

    [Fact]
    public async Task Before_its_submission_an_execution_did_not_exist_as_of_that_instant()
    {
        await RegisterTask("hello", "echo '{}' > \"$FLYTE_OUTPUTS\"");
        await RegisterWorkflow("name: hello\nversion: v1\nnodes: [ { id: greet, task: hello@v1 } ]\n");
        var before = DateTimeOffset.UtcNow;
        var id = await Submit("hello@v1");
        await WaitForEnd(id);

        var response = await Get($"{Scope}/executions/{id}?asOf={Uri.EscapeDataString(before.AddSeconds(-1).ToString("O", CultureInfo.InvariantCulture))}");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Get($"{Scope}/executions/{id}?asOf=yesterday")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    /// <summary>
    /// Each capacity answer against the as-of answer for the instant it names. The allocator answers from what is durable,
    /// so a decision stamped just before that instant whose write was still in flight is not in the live answer; for such
    /// an answer the instants just before each of the allocator's stamps of the last seconds are tried too (the answer is
    /// then the same but for its own instant).
    /// </summary>
    private async Task<(List<string> Mismatches, int InFlight)> CapacityMismatches(IEnumerable<JsonObject> capacities)
    {
        var history = await Json(await Get("/api/v1/history?kind=gpu-allocator&limit=1000"));
        var stamps = history["items"]!.AsArray().Select(e => e!["at"]!.GetValue<DateTimeOffset>()).Order().ToList();
        var mismatches = new List<string>();
        var inFlight = 0;
        foreach (var live in capacities)
        {
            var at = live["at"]!.GetValue<DateTimeOffset>();
            var asOf = await CapacityAsOf(at);
            if (JsonNode.DeepEquals(asOf, live))
            {
                continue;
            }

            var matched = false;
            foreach (var stamp in stamps.Where(t => t <= at && t > at.AddSeconds(-5)).OrderDescending())
            {
                var before = await CapacityAsOf(stamp.AddTicks(-1));
                before["at"] = live["at"]!.DeepClone();
                if (JsonNode.DeepEquals(before, live))
                {
                    matched = true;
                    inFlight++;
                    break;
                }
            }

            if (!matched)
            {
                mismatches.Add($"{at:O}\n live:  {live.ToJsonString()}\n as-of: {asOf.ToJsonString()}");
            }
        }

        return (mismatches, inFlight);
    }

    private async Task<JsonObject> CapacityAsOf(DateTimeOffset instant) =>
        await Json(await Get($"/api/v1/capacity?asOf={Uri.EscapeDataString(instant.ToString("O", CultureInfo.InvariantCulture))}"));

    private static IEnumerable<JsonNode> HeldSlices(JsonObject capacity) =>
        capacity["nodes"]!.AsArray().SelectMany(n => n!["devices"]!.AsArray()).SelectMany(d => d!["slices"]!.AsArray()).Where(s => s!["heldBy"] is not null)!;

    /// <summary>Registers and activates an every-minute launch plan of the chain, moves the schedule clock one minute, and
    /// returns the run it fired.</summary>
    private async Task<string> FireSchedule()
    {
        var registered = await Http.PostAsync(new Uri($"{Scope}/launchplans", UriKind.Relative), new StringContent(
            "name: every-minute\nversion: v1\nworkflow: chain@v1\ninputs: { x: 10 }\nschedule: { cron: \"* * * * *\" }\n",
            System.Text.Encoding.UTF8, "application/yaml"));
        registered.StatusCode.Should().Be(HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        (await Http.PostAsJsonAsync(new Uri($"{Scope}/launchplans/every-minute/versions/v1/activate", UriKind.Relative), new { reason = "audit replay test" }))
            .EnsureSuccessStatusCode();
        _schedules.Set(_schedules.Start.AddMinutes(1));
        var runs = await Eventually.Until(
            async () => (await Json(await Get($"{Scope}/executions?launchPlan=every-minute")))["items"]!.AsArray(),
            items => items.Count == 1, "the launch plan to fire once", TimeSpan.FromSeconds(30));
        return runs[0]!["id"]!.GetValue<string>();
    }

    private static string Track(ConcurrentDictionary<string, bool> executions, string id)
    {
        executions[id] = true;
        return id;
    }

    private async Task<Sample> Record(string id)
    {
        var before = DateTimeOffset.UtcNow;
        var live = await Execution(id);
        var after = DateTimeOffset.UtcNow;
        return new Sample(id, before, after, Comparable(live));
    }

    private static JsonObject WithoutNodes(JsonObject execution)
    {
        var copy = execution.DeepClone().AsObject();
        copy.Remove("nodes");
        return copy;
    }

    /// <summary>The GPU waiting reason is the allocator's live answer, not a fact of the execution's streams: not replayed.</summary>
    private static JsonObject Comparable(JsonObject execution)
    {
        foreach (var node in execution["nodes"]!.AsArray())
        {
            node!.AsObject().Remove("waiting");
        }

        return execution;
    }
}
