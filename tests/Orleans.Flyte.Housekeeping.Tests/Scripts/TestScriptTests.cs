using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Housekeeping.Tests.Scripts;

/// <summary>
/// scripts/test ends with one total computed from the test results, keeps the exit status of `dotnet test`, and runs
/// in a temporary folder of its own that it removes (issue 18). The SDK is <see cref="FakeDotnet"/>; the database is
/// named but never used, so no PostgreSQL is started.
/// </summary>
public sealed class TestScriptTests : IDisposable
{
    private readonly string _folder = ScratchDirectories.Create("test-script");
    private readonly FakeDotnet _dotnet;

    public TestScriptTests() => _dotnet = new FakeDotnet(_folder);

    private string TestsRoot => Path.Combine(_folder, "orleans-flyte-tests");

    public void Dispose() => ScratchDirectories.Delete(_folder);

    [Fact]
    public async Task Test_ends_with_one_total_over_every_test_project_and_exits_with_the_status_of_dotnet_test()
    {
        _dotnet.AddTestResults("domain", passed: 415);
        _dotnet.AddTestResults("api", passed: 93, failed: 2);

        var (exitCode, output, errors) = await RunTestScript(dotnetExitCode: 1);

        exitCode.Should().Be(1, errors);
        output.TrimEnd().Split('\n')[^1].Should().Be("508 passed, 2 failed");
    }

    [Fact]
    public async Task Test_total_counts_skipped_tests_when_there_are_some()
    {
        _dotnet.AddTestResults("domain", passed: 10, skipped: 2);

        var (exitCode, output, errors) = await RunTestScript(dotnetExitCode: 0);

        exitCode.Should().Be(0, errors);
        output.TrimEnd().Split('\n')[^1].Should().Be("10 passed, 0 failed, 2 skipped");
    }

    [Fact]
    public async Task Test_runs_in_a_folder_of_its_own_and_removes_it_with_the_folders_of_runs_that_were_killed()
    {
        _dotnet.AddTestResults("domain", passed: 1);
        var killedRun = Directory.CreateDirectory(Path.Combine(TestsRoot, "2147483600-1", "tmp")).Parent!.FullName;
        var liveTag = ScratchDirectories.ProcessTag(Environment.ProcessId)!;
        var liveRun = Directory.CreateDirectory(Path.Combine(TestsRoot, liveTag)).FullName;

        var (exitCode, _, errors) = await RunTestScript(dotnetExitCode: 0);

        exitCode.Should().Be(0, errors);
        var runTemp = _dotnet.Recorded("test-tmpdir");
        runTemp.Should().StartWith(TestsRoot + "/", "the test run's TMPDIR is a folder of its own");
        Directory.Exists(runTemp).Should().BeFalse("the run removes its folder, results and all");
        Directory.Exists(killedRun).Should().BeFalse("a run whose process is gone left it");
        Directory.Exists(liveRun).Should().BeTrue("the process of that run still runs");
    }

    private Task<(int ExitCode, string Output, string Errors)> RunTestScript(int dotnetExitCode) =>
        ScriptProcess.RunAsync("test", new Dictionary<string, string?>(_dotnet.Environment)
        {
            ["FAKE_DOTNET_EXIT"] = dotnetExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TMPDIR"] = _folder,
            ["ORLEANS_FLYTE_TEST_POSTGRES"] = "Host=127.0.0.1;Port=1;Database=unused;Username=unused;Password=unused",
        });
}
