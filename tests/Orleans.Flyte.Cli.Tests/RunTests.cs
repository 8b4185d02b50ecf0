using System.Text.Json.Nodes;

namespace Orleans.Flyte.Cli.Tests;

[Collection(SharedPlatform.Name)]
public sealed class RunTests(Platform platform) : PlatformTest(platform, "cli-run")
{
    private static readonly TimeSpan s_watch = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Run_with_watch_follows_the_nodes_to_success_exits_0_and_shows_the_outputs()
    {
        await RegisterScript("greet",
            """echo "hello $FLYTE_INPUT_NAME x$FLYTE_INPUT_COUNT"; echo "a warning" >&2; echo "{\"greeting\": \"hello $FLYTE_INPUT_NAME\", \"total\": $FLYTE_INPUT_COUNT}" > "$FLYTE_OUTPUTS" """,
            inputs: "{ name: string, count: int }", outputs: "{ greeting: string, total: int }");

        var run = await Cli.Run(s_watch, null, "run", "greet@v1", "-i", "name=world", "-i", "count=3", "--watch");

        run.ExitCode.Should().Be(0, run.ToString());
        var lines = run.Stdout.Split('\n');
        lines[0].Should().MatchRegex("^execution [a-z0-9]{20} \\(greet@v1, cli-run/development\\)$");
        lines.Should().Contain("step  Succeeded");
        run.Stdout.Should().EndWith("outputs:\n  greeting: \"hello world\"\n  total: 3\n");
        Snapshot.Mask(run.Stdout).Should().Contain("Succeeded in <dur>");
        var id = lines[0].Split(' ')[1];

        // The inputs went in typed: -i count=3 is the number 3, name=world the text "world".
        var described = await Cli.Run("describe", id, "-o", "json");
        described.ExitCode.Should().Be(0, described.ToString());
        var execution = JsonNode.Parse(described.Stdout)!;
        execution["inputs"]!.ToJsonString().Should().Be("""{"count":3,"name":"world"}""");

        var table = await Cli.Run("describe", id);
        Snapshot.Match("describe-succeeded", table.Stdout);

        var logs = await Cli.Run("logs", id, "step");
        logs.ExitCode.Should().Be(0, logs.ToString());
        logs.Stdout.Should().Be("hello world x3\n");
        logs.Stderr.Should().Be("a warning\n");
    }

    [Fact]
    public async Task An_uploaded_file_is_passed_to_run_by_the_reference_artifact_upload_printed()
    {
        await RegisterScript("reader", """printf '{"text":"%s"}' "$(cat "$FLYTE_INPUT_DOC")" > "$FLYTE_OUTPUTS" """, inputs: "{ doc: file<txt> }", outputs: "{ text: string }");
        var document = WriteFile("notes.txt", "from my laptop");

        var upload = await Cli.Run("artifact", "upload", document, "--format", "txt");

        upload.ExitCode.Should().Be(0, upload.ToString());
        var reference = JsonNode.Parse(upload.Stdout)!;
        reference["sha256"]!.GetValue<string>().Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("from my laptop"u8.ToArray())));
        reference["format"]!.GetValue<string>().Should().Be("txt");
        var saved = WriteFile("notes.ref.json", upload.Stdout);

        var run = await Cli.Run(s_watch, null, "run", "reader@v1", "-i", $"doc=@{saved}", "--watch");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Stdout.Should().EndWith("outputs:\n  text: \"from my laptop\"\n");
        (await Cli.Run("artifact", "upload", Path.Combine(Work, "missing.txt"))).ExitCode.Should().Be(2);
    }

    [Fact]
    public async Task Run_with_watch_of_a_failing_task_exits_10_and_says_why_and_where_the_logs_are()
    {
        await RegisterScript("explode", "echo 'about to fail'; echo 'disk full' >&2; exit 3");

        var run = await Cli.Run(s_watch, null, "run", "explode", "--watch");

        run.ExitCode.Should().Be(10, run.ToString());
        var id = run.Stdout.Split('\n')[0].Split(' ')[1];
        run.Stdout.Should().Contain("step  Failed  exit code 3: disk full")
            .And.Contain("Failed in ")
            .And.Contain($"logs: orleans-flyte logs {id} step");

        var logs = await Cli.Run("logs", id, "step", "--attempt", "1");
        logs.Stdout.Should().Be("about to fail\n");
    }

    [Fact]
    public async Task Watching_an_aborted_execution_exits_11()
    {
        await RegisterScript("sleepy", "sleep 60");
        var submitted = await Cli.Run("run", "sleepy", "-q");
        submitted.ExitCode.Should().Be(0, submitted.ToString());
        var id = submitted.Stdout.Trim();

        var abort = await Cli.Run("abort", id, "--reason", "wrong dataset");
        abort.ExitCode.Should().Be(0, abort.ToString());
        abort.Stdout.Should().MatchRegex($"^execution {id}: (Aborting|Aborted)\n$");

        var watched = await Cli.Run(s_watch, null, "describe", id, "--watch");
        watched.ExitCode.Should().Be(11, watched.ToString());
        watched.Stdout.Should().Contain("Aborted in ");
    }

    [Fact]
    public async Task Logs_follow_prints_output_as_it_comes_and_ends_with_the_attempt()
    {
        var gate = Path.Combine(Work, "go");
        await RegisterScript("ticker", $"echo first; while [ ! -f {gate} ]; do sleep 0.1; done; echo second; echo oops >&2");
        var id = (await Cli.Run("run", "ticker", "-q")).Stdout.Trim();

        var follow = Cli.Run(s_watch, null, "logs", id, "step", "--follow");
        await Testing.Eventually.Until(async () => (await Cli.Run("logs", id, "step")).Stdout.Contains("first", StringComparison.Ordinal), "the task's first line", s_watch);
        follow.IsCompleted.Should().BeFalse("--follow waits while the attempt runs");
        await File.WriteAllTextAsync(gate, string.Empty);

        var followed = await follow;
        followed.ExitCode.Should().Be(0, followed.ToString());
        followed.Stdout.Should().Be("first\nsecond\n", "each line is printed once, in order");
        followed.Stderr.Should().Be("oops\n");
    }

    [Fact]
    public async Task Inputs_come_from_a_file_with_values_from_files_and_the_command_line_on_top()
    {
        await RegisterScript("echoer", """cat "$FLYTE_INPUTS" > /dev/null; echo '{}' > "$FLYTE_OUTPUTS" """,
            inputs: "{ name: string, sizes: list<int>, config: map<int>, date: string }");
        WriteFile("inputs.yaml", "name: from-file\nsizes: [1, 2]\ndate: '2026-11-28'\n");
        WriteFile("config.json", """{"depth": 4}""");

        var run = await Cli.Run(s_watch, null, "run", "echoer", "--inputs", "inputs.yaml", "-i", "name=override", "-i", "config=@config.json", "-i", "sizes=[3,4,5]", "--watch", "-o", "json");

        run.ExitCode.Should().Be(0, run.ToString());
        var execution = JsonNode.Parse(run.Stdout)!;
        execution["phase"]!.GetValue<string>().Should().Be("Succeeded");
        execution["inputs"]!.ToJsonString().Should().Be("""{"config":{"depth":4},"date":"2026-11-28","name":"override","sizes":[3,4,5]}""");
    }

    [Fact]
    public async Task An_api_error_is_one_line_with_the_field_pointer_and_exits_1()
    {
        var run = await Cli.Run("run", "no-such-workflow@v9", "-i", "x=1");

        run.ExitCode.Should().Be(1, run.ToString());
        run.Stdout.Should().BeEmpty();
        run.Stderr.Should().Be("error: The submission is not valid: /workflow: workflow 'no-such-workflow@v9' is not registered in cli-run/development\n");
    }

    [Fact]
    public async Task A_missing_execution_is_one_line_and_a_bad_command_line_exits_2()
    {
        var missing = await Cli.Run("describe", "aaaaaaaaaaaaaaaaaaa1");
        missing.ExitCode.Should().Be(1, missing.ToString());
        missing.Stderr.Should().Be("error: Execution 'aaaaaaaaaaaaaaaaaaa1' does not exist in cli-run/development.\n");

        var usage = await Cli.Run("get", "executions", "--phase", "Sleeping");
        usage.ExitCode.Should().Be(2, usage.ToString());
        usage.Stderr.Should().Contain("Sleeping").And.Contain("see: orleans-flyte get executions --help");

        var input = await Cli.Run("run", "anything", "-i", "no-equals-sign");
        input.ExitCode.Should().Be(2, input.ToString());
        input.Stderr.Should().StartWith("error: -i no-equals-sign: write an input as NAME=VALUE");
    }

    [Fact]
    public async Task Relaunch_runs_the_same_inputs_again_and_lists_show_both_newest_first()
    {
        await RegisterScript("again", """echo "{}" > "$FLYTE_OUTPUTS" """, inputs: "{ n: int }");
        var first = await Cli.Run(s_watch, null, "run", "again", "-i", "n=7", "--watch");
        first.ExitCode.Should().Be(0, first.ToString());
        var id = first.Stdout.Split('\n')[0].Split(' ')[1];

        var relaunched = await Cli.Run(s_watch, null, "relaunch", id, "--watch", "-o", "json");
        relaunched.ExitCode.Should().Be(0, relaunched.ToString());
        var second = JsonNode.Parse(relaunched.Stdout)!;
        second["relaunchOf"]!.GetValue<string>().Should().Be(id);
        second["inputs"]!.ToJsonString().Should().Be("""{"n":7}""");

        var list = await Cli.Run("get", "executions", "--workflow", "again");
        list.ExitCode.Should().Be(0, list.ToString());
        Snapshot.Match("get-executions", list.Stdout);
        list.Stdout.Split('\n')[1].Should().StartWith(second["id"]!.GetValue<string>(), "the relaunch is the newest");
    }
}
