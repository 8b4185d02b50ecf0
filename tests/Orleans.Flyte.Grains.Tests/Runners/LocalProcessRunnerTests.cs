using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Grains.Runners.Local;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Runners;

/// <summary>Real processes (<c>sh -c</c> is the task's own command; the runner uses no shell), one work root per test.</summary>
public sealed class LocalProcessRunnerTests : IAsyncLifetime
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(30);

    private readonly string _workRoot = Orleans.Flyte.Testing.ScratchDirectories.Create("runner-work");
    private readonly List<LocalProcessRunner> _runners = [];
    private readonly RecordingSink _sink = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var runner in _runners)
        {
            await runner.DisposeAsync();
        }

        if (Directory.Exists(_workRoot))
        {
            Directory.Delete(_workRoot, recursive: true);
        }
    }

    [Fact]
    public async Task Succeeds_with_the_outputs_the_task_wrote_and_shows_it_its_inputs()
    {
        var runner = Runner();
        const string script = """
            set -e
            cp "$FLYTE_INPUTS" seen-inputs.json
            printf '{"model_uri":"file:///models/%s","epochs":%s,"config":%s}' "$FLYTE_INPUT_NAME" "$FLYTE_INPUT_EPOCHS" "$FLYTE_INPUT_CONFIG" > "$FLYTE_OUTPUTS"
            echo "outputs=$FLYTE_OUTPUTS attempt=$FLYTE_ATTEMPT_ID execution=$FLYTE_EXECUTION_ID node=$FLYTE_NODE_ID n=$FLYTE_ATTEMPT"
            """;
        var launch = Shell("p.d.exec1.train.1", script, outputs: ["model_uri"],
            inputs: """{"name":"resnet","epochs":3,"config":{"lr":0.1}}""");

        var launched = await runner.LaunchAsync(launch);
        var final = await _sink.TerminalAsync(launch.AttemptId);

        launched.Phase.Should().BeOneOf(AttemptPhase.Running, AttemptPhase.Succeeded);
        final.Phase.Should().Be(AttemptPhase.Succeeded, final.Error);
        final.ExitCode.Should().Be(0);
        JsonNode.DeepEquals(JsonNode.Parse(final.OutputsJson ?? "null"), JsonNode.Parse("""{"model_uri":"file:///models/resnet","epochs":3,"config":{"lr":0.1}}"""))
            .Should().BeTrue(final.OutputsJson);
        JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AttemptDir(launch), "seen-inputs.json"))),
            JsonNode.Parse(launch.InputsJson)).Should().BeTrue();

        var logs = await LogsAsync(runner, launch.AttemptId);
        var outputsPath = Path.Combine(AttemptDir(launch), "outputs.json");
        logs.Stdout.Should().Contain($"outputs={outputsPath} attempt=p.d.exec1.train.1 execution=exec1 node=train n=1");
        Path.IsPathRooted(outputsPath).Should().BeTrue();
        _sink.Of(launch.AttemptId).Select(s => s.Phase).Should().Equal(AttemptPhase.Running, AttemptPhase.Succeeded);
        (await runner.GetStatusAsync(launch.AttemptId)).Should().Be(final);
    }

    [Fact]
    public async Task Nonzero_exit_fails_with_the_exit_code_and_the_tail_of_stderr()
    {
        var runner = Runner();
        var launch = Shell("nonzero", "for i in $(seq 1 30); do echo \"line $i\" >&2; done; exit 3");

        await runner.LaunchAsync(launch);
        var final = await _sink.TerminalAsync(launch.AttemptId);

        final.Phase.Should().Be(AttemptPhase.Failed);
        final.ExitCode.Should().Be(3);
        final.Error.Should().StartWith("exit code 3").And.EndWith("line 30");
        var lines = (final.Error ?? string.Empty).Split('\n');
        lines.Should().HaveCount(20);
        lines[0].Should().EndWith("line 11");
    }

    [Theory]
    [InlineData("true", "task exited 0 but did not write outputs.json (expected outputs: model_uri)")]
    [InlineData("echo '{\"metrics\":1}' > \"$FLYTE_OUTPUTS\"", "lacks output model_uri")]
    [InlineData("echo '{not json' > \"$FLYTE_OUTPUTS\"", "outputs.json that is not valid JSON")]
    [InlineData("echo '[1,2]' > \"$FLYTE_OUTPUTS\"", "not a JSON object")]
    public async Task Exit_zero_without_the_declared_outputs_fails_and_says_what_is_wrong(string script, string error)
    {
        var runner = Runner();
        var launch = Shell("outputs", script, outputs: ["model_uri"]);

        await runner.LaunchAsync(launch);
        var final = await _sink.TerminalAsync(launch.AttemptId);

        final.Phase.Should().Be(AttemptPhase.Failed);
        final.Error.Should().Contain(error);
    }

    [Fact]
    public async Task Outputs_over_the_limit_fail_with_the_limit_and_are_not_stored()
    {
        var runner = Runner(o => o.MaxOutputBytes = 1024);
        var launch = Shell("large-outputs", """{ printf '{"blob":"'; head -c 100000 /dev/zero | tr '\0' x; printf '"}'; } > "$FLYTE_OUTPUTS" """, outputs: ["blob"]);

        await runner.LaunchAsync(launch);
        var final = await _sink.TerminalAsync(launch.AttemptId);

        final.Phase.Should().Be(AttemptPhase.Failed);
        final.Error.Should().Be("task exited 0 but wrote an outputs.json larger than 1024 bytes, the most outputs may take");
        final.OutputsJson.Should().BeNull();
    }

    [Fact]
    public async Task A_command_that_is_not_on_the_path_fails_to_start()
    {
        var runner = Runner();
        var launch = Launch("not-found", ["no-such-command-xyz"], ["--flag"]);

        var launched = await runner.LaunchAsync(launch);

        launched.Phase.Should().Be(AttemptPhase.Failed);
        launched.Error.Should().StartWith("could not start 'no-such-command-xyz': ");
        (await _sink.TerminalAsync(launch.AttemptId)).Should().Be(launched);
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_process_tree_and_reports_timed_out()
    {
        var runner = Runner();
        var launch = Shell("timeout", "echo $$ > task.pid; sleep 60 & echo $! > child.pid; wait", timeout: TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();

        await runner.LaunchAsync(launch);
        var (task, child) = await PidsAsync(launch);
        var final = await _sink.TerminalAsync(launch.AttemptId);

        final.Phase.Should().Be(AttemptPhase.TimedOut);
        final.Error.Should().Be("timed out after 00:00:02");
        clock.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(2)).And.BeLessThan(TimeSpan.FromSeconds(15));
        await GoneAsync(task);
        await GoneAsync(child);
    }

    [Fact]
    public async Task Terminate_kills_the_process_and_its_children_and_is_idempotent()
    {
        var runner = Runner();
        var launch = Shell("terminate", "echo $$ > task.pid; sleep 60 & echo $! > child.pid; wait");

        await runner.LaunchAsync(launch);
        var (task, child) = await PidsAsync(launch);
        await runner.TerminateAsync(launch.AttemptId, "aborted by alice").WaitAsync(s_deadline);

        var status = await runner.GetStatusAsync(launch.AttemptId);
        status.Phase.Should().Be(AttemptPhase.Terminated);
        status.Error.Should().Be("aborted by alice");
        await GoneAsync(task);
        await GoneAsync(child);
        (await _sink.TerminalAsync(launch.AttemptId)).Should().Be(status);

        await runner.TerminateAsync(launch.AttemptId, "again").WaitAsync(s_deadline);
        await runner.TerminateAsync("never-launched", "nothing").WaitAsync(s_deadline);
        (await runner.GetStatusAsync(launch.AttemptId)).Should().Be(status);
    }

    [Fact]
    public async Task Launching_the_same_attempt_again_never_starts_a_second_process()
    {
        var runner = Runner();
        var launch = Shell("twice", "echo run >> runs.txt; echo '{}' > \"$FLYTE_OUTPUTS\"");

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => runner.LaunchAsync(launch)));
        var final = await _sink.TerminalAsync(launch.AttemptId);
        var again = await runner.LaunchAsync(launch);

        concurrent.Should().OnlyContain(s => s.AttemptId == launch.AttemptId && s.Phase != AttemptPhase.Unknown);
        again.Should().Be(final);
        (await File.ReadAllLinesAsync(Path.Combine(AttemptDir(launch), "runs.txt"))).Should().Equal("run");
        _sink.Of(launch.AttemptId).Should().HaveCount(2);
    }

    [Fact]
    public async Task A_new_runner_reports_an_attempt_that_was_running_as_lost_and_a_finished_one_as_it_ended()
    {
        var before = Runner();
        var done = Shell("restart-done", "echo '{\"model_uri\":\"s3://m\"}' > \"$FLYTE_OUTPUTS\"", outputs: ["model_uri"]);
        var running = Shell("restart-running", "echo run >> runs.txt; echo $$ > task.pid; exec sleep 60");
        await before.LaunchAsync(done);
        var finished = await _sink.TerminalAsync(done.AttemptId);
        await before.LaunchAsync(running);
        var (task, _) = await PidsAsync(running, child: false);

        // The silo goes away: its processes go with it, and nothing records how they ended.
        await before.DisposeAsync();
        await GoneAsync(task);
        var after = Runner();

        var lost = await after.GetStatusAsync(running.AttemptId);
        lost.Phase.Should().Be(AttemptPhase.Lost);
        lost.Error.Should().Be("attempt was lost: its process ended with the silo that ran it");
        (await after.LaunchAsync(running)).Should().Be(lost);
        (await File.ReadAllLinesAsync(Path.Combine(AttemptDir(running), "runs.txt"))).Should().Equal("run");

        (await after.GetStatusAsync(done.AttemptId)).Should().Be(finished);
        (await after.LaunchAsync(done)).Should().Be(finished);
        (await after.GetStatusAsync("never-launched")).Phase.Should().Be(AttemptPhase.Unknown);

        // The verdict is recorded: a third runner says the same.
        (await Runner().GetStatusAsync(running.AttemptId)).Should().Be(lost);
    }

    [Fact]
    public async Task A_lost_attempt_whose_process_survived_is_killed_so_it_never_runs_twice()
    {
        // An earlier silo died without its process (and without recording a final status).
        var directory = Path.Combine(_workRoot, "orphaned");
        Directory.CreateDirectory(directory);
        using var orphan = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })
            ?? throw new InvalidOperationException("could not start the orphan");
        var identity = ProcessTree.Identify(orphan.Id);
        identity.Should().NotBeNull();
        await File.WriteAllTextAsync(Path.Combine(directory, "pid"), identity.ToString());

        var status = await Runner().GetStatusAsync("orphaned");

        status.Phase.Should().Be(AttemptPhase.Lost);
        IsRunning(orphan.Id).Should().BeFalse("the orphan must be dead before the attempt is reported lost");
        await orphan.WaitForExitAsync().WaitAsync(s_deadline);
    }

    [Fact]
    public async Task A_gpu_grant_sets_the_visible_devices()
    {
        var runner = Runner();
        var launch = Shell("gpu", "echo \"cuda=${CUDA_VISIBLE_DEVICES-unset} nvidia=${NVIDIA_VISIBLE_DEVICES-unset}\"")
            with { Gpu = new GpuGrant("node-1", ["GPU-aaa", "MIG-bbb"], "nvidia.com/gpu") };

        await runner.LaunchAsync(launch);
        (await _sink.TerminalAsync(launch.AttemptId)).Phase.Should().Be(AttemptPhase.Succeeded);

        (await LogsAsync(runner, launch.AttemptId)).Stdout.Should().Be("cuda=GPU-aaa,MIG-bbb nvidia=GPU-aaa,MIG-bbb\n");
    }

    [Fact]
    public async Task Without_a_gpu_grant_no_devices_are_visible_not_even_the_silos_own()
    {
        var runner = Runner();
        var launch = Shell("no-gpu", "echo \"cuda=${CUDA_VISIBLE_DEVICES-unset} nvidia=${NVIDIA_VISIBLE_DEVICES-unset}\"")
            with { Env = new Dictionary<string, string> { ["CUDA_VISIBLE_DEVICES"] = "0", ["NVIDIA_VISIBLE_DEVICES"] = "all", ["OTHER"] = "kept" } };

        await runner.LaunchAsync(launch);
        (await _sink.TerminalAsync(launch.AttemptId)).Phase.Should().Be(AttemptPhase.Succeeded);

        (await LogsAsync(runner, launch.AttemptId)).Stdout.Should().Be("cuda=unset nvidia=unset\n");
    }

    [Fact]
    public async Task Stdout_and_stderr_are_captured_and_a_long_log_keeps_its_tail()
    {
        var runner = Runner(o => o.MaxLogBytes = 4096);
        var small = Shell("logs", "echo hello; echo oops >&2");
        var large = Shell("large-logs", "for i in $(seq 1 2000); do echo \"out $i\"; done");

        await runner.LaunchAsync(small);
        await runner.LaunchAsync(large);
        await _sink.TerminalAsync(small.AttemptId);
        await _sink.TerminalAsync(large.AttemptId);

        var logs = await runner.GetLogsAsync(small.AttemptId);
        logs.Should().Be(new AttemptLogs(small.AttemptId, "hello\n", "oops\n", Truncated: false));
        var tail = await LogsAsync(runner, large.AttemptId);
        tail.Truncated.Should().BeTrue();
        tail.Stdout.Should().StartWith("[truncated: ").And.EndWith("out 2000\n").And.NotContain("\nout 1\n");
        tail.Stdout.Length.Should().BeLessThan(4096 + 200);
        (await runner.GetLogsAsync("never-launched")).Should().BeNull();
    }

    [Fact]
    public async Task A_failing_sink_never_stops_the_runner()
    {
        var sink = new RecordingSink { Fail = true };
        var runner = Runner(sink: sink);
        var launch = Shell("broken-sink", "true");

        await runner.LaunchAsync(launch);

        (await sink.TerminalAsync(launch.AttemptId)).Phase.Should().Be(AttemptPhase.Succeeded);
        (await runner.GetStatusAsync(launch.AttemptId)).Phase.Should().Be(AttemptPhase.Succeeded);
    }

    [Fact]
    public async Task Without_keeping_work_directories_only_the_final_status_and_logs_remain()
    {
        var runner = Runner(o => o.KeepWorkDirectories = false);
        var launch = Shell("cleaned", "echo scratch > scratch.txt; echo '{\"x\":1}' > \"$FLYTE_OUTPUTS\"; echo done; echo warned >&2", outputs: ["x"]);

        await runner.LaunchAsync(launch);
        var final = await _sink.TerminalAsync(launch.AttemptId);

        final.Phase.Should().Be(AttemptPhase.Succeeded);
        Directory.EnumerateFiles(AttemptDir(launch)).Select(Path.GetFileName).Should().BeEquivalentTo("status.json", "stdout.log", "stderr.log");
        (await Runner().GetStatusAsync(launch.AttemptId)).Should().Be(final);
        (await LogsAsync(runner, launch.AttemptId)).Stdout.Should().Be("done\n");
    }

    [Fact]
    public async Task A_quiet_task_leaves_only_its_inputs_outputs_and_final_status()
    {
        // Every file an attempt creates costs an inode, and on ext4 without a journal each one scans past the inodes
        // freed in the last minutes: no log file for a stream that stayed empty, and the pid file becomes the final
        // status. The out/ folder $FLYTE_OUTPUT_DIR names is there for every task (kept when the directory is reused).
        var runner = Runner();
        var launch = Shell("quiet", "echo '{\"x\":1}' > \"$FLYTE_OUTPUTS\"", outputs: ["x"]);

        await runner.LaunchAsync(launch);
        var final = await _sink.TerminalAsync(launch.AttemptId);

        final.Phase.Should().Be(AttemptPhase.Succeeded, final.Error);
        Directory.EnumerateFileSystemEntries(AttemptDir(launch)).Select(Path.GetFileName).Should().BeEquivalentTo("inputs.json", "out", "outputs.json", "status.json");
        (await runner.GetLogsAsync(launch.AttemptId)).Should().Be(new AttemptLogs(launch.AttemptId, string.Empty, string.Empty, Truncated: false));
        (await Runner().GetStatusAsync(launch.AttemptId)).Should().Be(final);
    }

    [Fact]
    public async Task A_released_directory_reused_for_a_new_attempt_shows_nothing_of_the_earlier_one()
    {
        var runner = Runner(o => o.RetainAttemptDirectories = 0);
        var first = Shell("first", "stat -c %i . > ../first.inode; echo secret > left-behind.txt; mkdir -p sub; echo kept > \"$FLYTE_OUTPUT_DIR/scratch\"; echo oops >&2; echo '{\"x\":1}' > \"$FLYTE_OUTPUTS\"",
            outputs: ["x"], inputs: """{"a":"first"}""");
        await runner.LaunchAsync(first);
        (await _sink.TerminalAsync(first.AttemptId)).Phase.Should().Be(AttemptPhase.Succeeded);
        await runner.ReleaseAsync(first.AttemptId);
        Directory.Exists(AttemptDir(first)).Should().BeFalse("a released directory leaves the work root at once");
        var spare = Directory.GetDirectories(_workRoot + ".spare").Should().ContainSingle().Subject;
        (await File.ReadAllTextAsync(Path.Combine(spare, ".reusable"))).Trim('\0').Should().BeEmpty(
            "the first attempt's status becomes the next pid file only once the next task runs, so nothing of it is left readable");

        var second = Shell("second", "stat -c %i . > ../second.inode; ls -A > ../listing.txt; ls -A \"$FLYTE_OUTPUT_DIR\" > ../out-listing.txt; cp \"$FLYTE_INPUTS\" ../seen.json; echo '{}' > \"$FLYTE_OUTPUTS\"", inputs: """{"b":2}""");
        await runner.LaunchAsync(second);
        var final = await _sink.TerminalAsync(second.AttemptId);

        final.Phase.Should().Be(AttemptPhase.Succeeded, final.Error);
        (await File.ReadAllTextAsync(Path.Combine(_workRoot, "second.inode"))).Should().Be(
            await File.ReadAllTextAsync(Path.Combine(_workRoot, "first.inode")), "the first attempt's directory was reused");
        (await File.ReadAllLinesAsync(Path.Combine(_workRoot, "listing.txt"))).Where(name => name is not (".reusable" or "pid"))
            .Should().Equal("inputs.json", "out");
        (await File.ReadAllTextAsync(Path.Combine(_workRoot, "out-listing.txt"))).Should().BeEmpty("the reused out/ folder was emptied");
        JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_workRoot, "seen.json"))), JsonNode.Parse(second.InputsJson))
            .Should().BeTrue();
        (await runner.GetStatusAsync(first.AttemptId)).Phase.Should().Be(AttemptPhase.Unknown);
        (await Runner().GetStatusAsync(second.AttemptId)).Should().Be(final);
        (await runner.GetLogsAsync(second.AttemptId)).Should().Be(new AttemptLogs(second.AttemptId, string.Empty, string.Empty, Truncated: false));
    }

    [Fact]
    public async Task A_reused_directory_records_its_own_process_so_a_runner_adopting_it_kills_that_process()
    {
        // The pid file of a reused directory is written in place of the earlier attempt's final status, which is longer:
        // it must hold exactly the new process, or an adopting runner could not tell what to kill.
        var runner = Runner(o => o.RetainAttemptDirectories = 0);
        var first = Shell("first-long-status", "echo '{\"model_uri\":\"s3://bucket/a/rather/long/model/path\"}' > \"$FLYTE_OUTPUTS\"", outputs: ["model_uri"]);
        await runner.LaunchAsync(first);
        (await _sink.TerminalAsync(first.AttemptId)).Phase.Should().Be(AttemptPhase.Succeeded);
        var earlierStatus = new FileInfo(Path.Combine(AttemptDir(first), "status.json")).Length;
        await runner.ReleaseAsync(first.AttemptId);

        var second = Shell("second-running", "echo $$ > task.pid; exec sleep 60");
        await runner.LaunchAsync(second);
        var (task, _) = await PidsAsync(second, child: false);
        var pidFile = await File.ReadAllTextAsync(Path.Combine(AttemptDir(second), "pid"));
        pidFile.Should().Be(ProcessTree.Identify(task).ToString());
        pidFile.Length.Should().BeLessThan((int)earlierStatus, "the test is only worth anything if the reused file was longer");

        // A second runner over the same work root (as after a restart the first did not notice) adopts the attempt.
        var adopted = await Runner().GetStatusAsync(second.AttemptId);

        adopted.Phase.Should().Be(AttemptPhase.Lost);
        IsRunning(task).Should().BeFalse("the adopting runner killed the process the pid file names");
        (await _sink.TerminalAsync(second.AttemptId)).Phase.Should().Be(AttemptPhase.Lost, "the first runner's record of the exit does not replace the verdict");
    }

    private LocalProcessRunner Runner(Action<LocalProcessRunnerOptions>? configure = null, RecordingSink? sink = null)
    {
        var options = new LocalProcessRunnerOptions { WorkRoot = _workRoot, KillGrace = TimeSpan.FromSeconds(1) };
        configure?.Invoke(options);
        var runner = new LocalProcessRunner(Options.Create(options), sink ?? _sink, TimeProvider.System, NullLogger<LocalProcessRunner>.Instance);
        _runners.Add(runner);
        return runner;
    }

    private static AttemptLaunch Shell(string attemptId, string script, IReadOnlyList<string>? outputs = null, string inputs = "{}", TimeSpan? timeout = null) =>
        Launch(attemptId, ["sh", "-c"], [script], outputs, inputs, timeout);

    private static AttemptLaunch Launch(string attemptId, IReadOnlyList<string> command, IReadOnlyList<string> args,
        IReadOnlyList<string>? outputs = null, string inputs = "{}", TimeSpan? timeout = null) =>
        new(attemptId, "p", "d", "exec1", "train", 1, "ghcr.io/example/train:1", command, args, new Dictionary<string, string>(),
            inputs, outputs ?? [], null, null, GpuGrant.None, timeout);

    private string AttemptDir(AttemptLaunch launch) => Path.Combine(_workRoot, launch.AttemptId);

    /// <summary>The pids the task script wrote (<c>task.pid</c>, and <c>child.pid</c> for its background child).</summary>
    private async Task<(int Task, int Child)> PidsAsync(AttemptLaunch launch, bool child = true)
    {
        var taskFile = Path.Combine(AttemptDir(launch), "task.pid");
        var childFile = Path.Combine(AttemptDir(launch), "child.pid");
        await Eventually.Until(() => ReadPid(taskFile) is not null && (!child || ReadPid(childFile) is not null), $"{launch.AttemptId} to write its pids", s_deadline);
        return (ReadPid(taskFile) ?? 0, ReadPid(childFile) ?? 0);
    }

    private static async Task<AttemptLogs> LogsAsync(LocalProcessRunner runner, string attemptId) =>
        await runner.GetLogsAsync(attemptId) ?? throw new InvalidOperationException($"no logs for {attemptId}");

    private static int? ReadPid(string file) =>
        File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    /// <summary>Dead, or a zombie nobody reaped yet (PID 1 of a container may never reap a re-parented child).</summary>
    private static Task GoneAsync(int pid) => Eventually.Until(() => !IsRunning(pid), $"process {pid} to be gone", s_deadline);

    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
