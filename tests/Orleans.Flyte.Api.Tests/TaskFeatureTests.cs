using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests;

/// <summary>Retries, timeouts, abort, caching, recover, failure policies and concurrency, with real processes.</summary>
public sealed class TaskFeatureTests : ExecutionTestBase
{
    /// <summary>Fails until it has run <c>$FLYTE_INPUT_PASS_ON</c> times (counted in a file), then succeeds.</summary>
    private const string Flaky = """
        n=$(cat "$FLYTE_INPUT_DIR/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$FLYTE_INPUT_DIR/count"
        if [ $n -lt $FLYTE_INPUT_PASS_ON ]; then echo "boom on run $n" >&2; exit 1; fi
        echo "{\"runs\": $n}" > "$FLYTE_OUTPUTS"
        """;

    private const string Sleeper = """
        echo $$ > "$FLYTE_INPUT_DIR/$FLYTE_NODE_ID.pid"
        exec sleep $FLYTE_INPUT_SECONDS
        """;

    private const string Window = """
        start=$(date +%s%N); sleep 1; end=$(date +%s%N)
        echo "{\"start\": $start, \"end\": $end}" > "$FLYTE_OUTPUTS"
        """;

    private const string Counted = """
        echo run >> "$FLYTE_INPUT_DIR/runs"
        echo "{\"twice\": $((FLYTE_INPUT_X * 2))}" > "$FLYTE_OUTPUTS"
        """;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterTask("flaky", Flaky, "{ dir: string, pass_on: int }", "{ runs: int }", "retries: 2");
        await RegisterTask("flaky-once", Flaky, "{ dir: string, pass_on: int }", "{ runs: int }", "retries: 1");
        await RegisterTask("sleeper", Sleeper, "{ dir: string, seconds: int }", "{}", "timeout: 2s");
        await RegisterTask("sleeper-long", Sleeper, "{ dir: string, seconds: int }", "{}");
        await RegisterTask("window", Window, "{ lane: string }", "{ start: int, end: int }");
        await RegisterTask("counted", Counted, "{ dir: string, x: int }", "{ twice: int }", "cache: { enabled: true, version: \"1\" }");
        await RegisterWorkflow(One("retrying", "flaky@v1", "{ dir: \"{{ inputs.dir }}\", pass_on: \"{{ inputs.pass_on }}\" }", "{ dir: string, pass_on: int }"));
        await RegisterWorkflow(One("retrying-once", "flaky-once@v1", "{ dir: \"{{ inputs.dir }}\", pass_on: \"{{ inputs.pass_on }}\" }", "{ dir: string, pass_on: int }"));
        await RegisterWorkflow(One("sleeping", "sleeper@v1", "{ dir: \"{{ inputs.dir }}\", seconds: \"{{ inputs.seconds }}\" }", "{ dir: string, seconds: int }"));
        await RegisterWorkflow(One("sleeping-long", "sleeper-long@v1", "{ dir: \"{{ inputs.dir }}\", seconds: \"{{ inputs.seconds }}\" }", "{ dir: string, seconds: int }"));
        await RegisterWorkflow(One("cached", "counted@v1", "{ dir: \"{{ inputs.dir }}\", x: \"{{ inputs.x }}\" }", "{ dir: string, x: int }"));
        await RegisterWorkflow("""
            name: parallel
            version: v1
            nodes:
              - { id: left, task: window@v1, inputs: { lane: left } }
              - { id: right, task: window@v1, inputs: { lane: right } }
            """);
    }

    private static string One(string name, string task, string inputs, string workflowInputs) => $"""
        name: {name}
        version: v1
        inputs: {workflowInputs}
        nodes:
          - {"{"} id: only, task: {task}, inputs: {inputs} {"}"}
        """;

    [Fact]
    public async Task Independent_nodes_run_at_the_same_time()
    {
        var done = await WaitForEnd(await Submit("parallel@v1"));

        done["phase"]!.GetValue<string>().Should().Be("Succeeded");
        var left = Node(done, "left")["outputs"]!;
        var right = Node(done, "right")["outputs"]!;
        var overlap = Math.Min(left["end"]!.GetValue<long>(), right["end"]!.GetValue<long>())
            - Math.Max(left["start"]!.GetValue<long>(), right["start"]!.GetValue<long>());
        overlap.Should().BePositive("both one-second tasks must have been running at once");
    }

    [Fact]
    public async Task A_failing_task_is_retried_as_separate_attempts_until_it_succeeds()
    {
        var done = await WaitForEnd(await Submit("retrying@v1", new { dir = Scratch, pass_on = 3 }));

        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        var attempts = Node(done, "only")["attempts"]!.AsArray();
        attempts.Select(a => a!["outcome"]!.GetValue<string>()).Should().Equal("Failed", "Failed", "Succeeded");
        attempts[0]!["error"]!.GetValue<string>().Should().Contain("boom on run 1");
        attempts.Select(a => a!["attemptId"]!.GetValue<string>()).Should().OnlyHaveUniqueItems();
        Node(done, "only")["outputs"]!["runs"]!.GetValue<int>().Should().Be(3);
    }

    [Fact]
    public async Task When_retries_are_exhausted_the_execution_fails_with_the_last_error()
    {
        var done = await WaitForEnd(await Submit("retrying-once@v1", new { dir = Scratch, pass_on = 5 }));

        done["phase"]!.GetValue<string>().Should().Be("Failed");
        Node(done, "only")["phase"]!.GetValue<string>().Should().Be("Failed");
        Node(done, "only")["attempts"]!.AsArray().Should().HaveCount(2);
        Node(done, "only")["error"]!.GetValue<string>().Should().Contain("boom on run 2");
        done["error"]!.GetValue<string>().Should().Contain("boom on run 2");
    }

    [Fact]
    public async Task A_task_past_its_timeout_ends_TimedOut_and_its_process_is_gone()
    {
        var id = await Submit("sleeping@v1", new { dir = Scratch, seconds = 60 });
        var pid = await WaitForPidFile(Path.Combine(Scratch, "only.pid"), TimeSpan.FromSeconds(20));

        var done = await WaitForEnd(id, seconds: 30);

        Node(done, "only")["phase"]!.GetValue<string>().Should().Be("TimedOut");
        done["phase"]!.GetValue<string>().Should().Be("Failed");
        await Eventually.Until(() => !ProcessAlive(pid), $"process {pid} to be gone", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_workflow_past_its_own_timeout_ends_TimedOut_and_stops_its_running_nodes()
    {
        await RegisterWorkflow("""
            name: bounded
            version: v1
            inputs: { dir: string }
            timeout: 2s
            nodes:
              - { id: only, task: sleeper-long@v1, inputs: { dir: "{{ inputs.dir }}", seconds: 60 } }
            """);
        var id = await Submit("bounded@v1", new { dir = Scratch });
        var pid = await WaitForPidFile(Path.Combine(Scratch, "only.pid"), TimeSpan.FromSeconds(20));

        var done = await WaitForEnd(id, seconds: 30);

        done["phase"]!.GetValue<string>().Should().Be("TimedOut");
        Node(done, "only")["phase"]!.GetValue<string>().Should().Be("Aborted");
        await Eventually.Until(() => !ProcessAlive(pid), $"process {pid} to be gone", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Abort_mid_run_ends_Aborted_and_kills_the_process()
    {
        var id = await Submit("sleeping-long@v1", new { dir = Scratch, seconds = 60 });
        var pid = await WaitForPidFile(Path.Combine(Scratch, "only.pid"), TimeSpan.FromSeconds(20));
        ProcessAlive(pid).Should().BeTrue();

        var response = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions/{id}/abort", UriKind.Relative), new { reason = "wrong dataset" });

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var aborted = await Json(response);
        aborted["phase"]!.GetValue<string>().Should().Be("Aborted");
        Node(aborted, "only")["phase"]!.GetValue<string>().Should().Be("Aborted");
        aborted["error"]!.GetValue<string>().Should().Be("wrong dataset");
        await Eventually.Until(() => !ProcessAlive(pid), $"process {pid} to be gone", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_second_run_with_the_same_inputs_is_a_cache_hit_that_runs_nothing()
    {
        var first = await WaitForEnd(await Submit("cached@v1", new { dir = Scratch, x = 21 }));
        var second = await WaitForEnd(await Submit("cached@v1", new { dir = Scratch, x = 21 }));
        var other = await WaitForEnd(await Submit("cached@v1", new { dir = Scratch, x = 4 }));
        var overwritten = await WaitForEnd(await Submit("cached@v1", new { dir = Scratch, x = 21 }, overwriteCache: true));

        Node(first, "only")["cacheHit"]!.GetValue<bool>().Should().BeFalse();
        Node(second, "only")["cacheHit"]!.GetValue<bool>().Should().BeTrue();
        Node(second, "only")["outputs"]!["twice"]!.GetValue<int>().Should().Be(42);
        Node(other, "only")["cacheHit"]!.GetValue<bool>().Should().BeFalse();
        Node(overwritten, "only")["cacheHit"]!.GetValue<bool>().Should().BeFalse();
        File.ReadAllLines(Path.Combine(Scratch, "runs")).Should().HaveCount(3, "the cache hit launched no process");
    }

    [Fact]
    public async Task Recover_reuses_the_outputs_of_nodes_that_succeeded_and_reruns_the_rest()
    {
        await RegisterWorkflow("""
            name: two-step
            version: v1
            inputs: { dir: string }
            nodes:
              - { id: first, task: counted@v1, inputs: { dir: "{{ inputs.dir }}", x: 5 } }
              - { id: second, task: flaky-once@v1, inputs: { dir: "{{ inputs.dir }}", pass_on: 3 }, after: [first] }
            """);
        var failed = await WaitForEnd(await Submit("two-step@v1", new { dir = Scratch }));
        failed["phase"]!.GetValue<string>().Should().Be("Failed");

        var response = await Http.PostAsync(new Uri($"{Scope}/executions/{failed["id"]}/recover", UriKind.Relative), null);

        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var recovered = await WaitForEnd((await Json(response))["id"]!.GetValue<string>());
        recovered["phase"]!.GetValue<string>().Should().Be("Succeeded", recovered.ToJsonString());
        recovered["recoverOf"]!.GetValue<string>().Should().Be(failed["id"]!.GetValue<string>());
        Node(recovered, "first")["recoveredFrom"]!.GetValue<string>().Should().Be(failed["id"]!.GetValue<string>());
        Node(recovered, "first")["outputs"]!["twice"]!.GetValue<int>().Should().Be(10);
        File.ReadAllLines(Path.Combine(Scratch, "runs")).Should().ContainSingle("the recovered node did not run again");
    }

    [Fact]
    public async Task Fail_fast_stops_running_siblings_while_finish_what_can_finish_lets_them_complete()
    {
        await RegisterTask("fail", "echo nope >&2; exit 2");
        foreach (var (name, policy) in new[] { ("ff", "fail-fast"), ("fwcf", "finish-what-can-finish") })
        {
            await RegisterWorkflow($$"""
                name: {{name}}
                version: v1
                inputs: { dir: string }
                failure_policy: {{policy}}
                nodes:
                  - { id: broken, task: fail@v1 }
                  - { id: slow, task: window@v1, inputs: { lane: slow } }
                  - { id: after-broken, task: window@v1, inputs: { lane: x }, after: [broken] }
                """);
        }

        var failFast = await WaitForEnd(await Submit("ff@v1", new { dir = Scratch }));
        var finish = await WaitForEnd(await Submit("fwcf@v1", new { dir = Scratch }));

        failFast["phase"]!.GetValue<string>().Should().Be("Failed");
        Node(failFast, "slow")["phase"]!.GetValue<string>().Should().Be("Aborted");
        Node(failFast, "after-broken")["phase"]!.GetValue<string>().Should().Be("Skipped");
        failFast["error"]!.GetValue<string>().Should().Contain("broken").And.Contain("exit code 2");
        finish["phase"]!.GetValue<string>().Should().Be("Failed");
        Node(finish, "slow")["phase"]!.GetValue<string>().Should().Be("Succeeded");
        Node(finish, "after-broken")["phase"]!.GetValue<string>().Should().Be("Skipped");
    }

    [Fact]
    public async Task Logs_of_an_attempt_are_served()
    {
        var done = await WaitForEnd(await Submit("retrying-once@v1", new { dir = Scratch, pass_on = 9 }));

        var logs = await Json(await Get($"{Scope}/executions/{done["id"]}/nodes/only/attempts/2/logs"));
        var missing = await Get($"{Scope}/executions/{done["id"]}/nodes/only/attempts/7/logs");

        logs["stderr"]!.GetValue<string>().Should().Contain("boom on run 2");
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_thousand_concurrent_submissions_are_all_accepted_and_all_complete()
    {
        await RegisterTask("noop", "echo '{}' > \"$FLYTE_OUTPUTS\"");
        await RegisterWorkflow("name: noop\nversion: v1\nnodes:\n  - { id: only, task: noop@v1 }");
        var ids = new ConcurrentBag<string>();

        await Parallel.ForEachAsync(Enumerable.Range(0, 1000), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
            ids.Add(await Submit("noop@v1", idempotencyKey: $"bulk-{i}")));

        ids.Distinct().Should().HaveCount(1000);
        var succeeded = await Eventually.Until(
            async () =>
            {
                var page = await Json(await Get($"{Scope}/executions?workflow=noop&phase=Succeeded&limit=500"));
                var next = page["nextCursor"]?.GetValue<string>();
                var count = page["items"]!.AsArray().Count;
                if (next is not null)
                {
                    count += (await Json(await Get($"{Scope}/executions?workflow=noop&phase=Succeeded&limit=500&cursor={next}")))["items"]!.AsArray().Count;
                }

                return count;
            },
            count => count >= 1000,
            "all thousand executions to succeed",
            TimeSpan.FromMinutes(4),
            describe: count => $"{count} succeeded",
            poll: TimeSpan.FromMilliseconds(250)); // two pages of 500 per read: no need to ask more often

        succeeded.Should().Be(1000);
    }
}
