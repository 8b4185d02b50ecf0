using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Housekeeping.Tests.Leftovers;

/// <summary>What the shared test hosts leave on disk once a test is done: nothing (issue 18).</summary>
public sealed class LeftoverTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("leftovers");

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_disposed_platform_leaves_no_work_root_behind()
    {
        var platform = new FlyteApiFactory(_database.ConnectionString);
        using (var http = platform.CreateClient())
        {
            (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).EnsureSuccessStatusCode();
        }

        // What the local runner makes per attempt: a folder with inputs, outputs and logs.
        var attempt = Directory.CreateDirectory(Path.Combine(platform.WorkRoot, "lab.development.x.n.1"));
        await File.WriteAllTextAsync(Path.Combine(attempt.FullName, "stdout"), "done");

        await platform.DisposeAsync();

        Directory.Exists(platform.WorkRoot).Should().BeFalse();
    }

    [Fact]
    public async Task A_work_root_passed_in_by_the_test_belongs_to_the_test_and_survives_the_platform()
    {
        var workRoot = ScratchDirectories.Create("kept");
        try
        {
            var platform = new FlyteApiFactory(_database.ConnectionString, new Dictionary<string, string> { ["Flyte:Runners:Local:WorkRoot"] = workRoot });
            platform.CreateClient().Dispose();

            await platform.DisposeAsync();

            platform.WorkRoot.Should().Be(workRoot);
            Directory.Exists(workRoot).Should().BeTrue("a restarted platform finds its attempts there");
        }
        finally
        {
            ScratchDirectories.Delete(workRoot);
        }
    }

    [Fact]
    public async Task A_test_cluster_writes_no_log_files()
    {
        var logs = Path.Combine(Directory.GetCurrentDirectory(), "logs");
        var before = Directory.Exists(logs) ? Directory.GetFiles(logs).ToHashSet() : [];

        await using (await FlyteCluster.StartAsync(_database.ConnectionString))
        {
        }

        var after = Directory.Exists(logs) ? Directory.GetFiles(logs) : [];
        after.Except(before).Should().BeEmpty("TestingHost's per-silo log files were never read and piled up in the test output folder");
    }

    [Fact]
    public void Scratch_folders_of_test_processes_that_ended_are_removed_and_those_of_running_ones_kept()
    {
        var ended = Directory.CreateDirectory(Path.Combine(ScratchDirectories.Root, "2147483600-1")).FullName;
        var reusedPid = Directory.CreateDirectory(Path.Combine(ScratchDirectories.Root, $"{Environment.ProcessId}-1")).FullName;
        var running = Directory.CreateDirectory(Path.Combine(ScratchDirectories.Root, ScratchDirectories.ProcessTag(1)!)).FullName;
        var notOurs = Directory.CreateDirectory(Path.Combine(ScratchDirectories.Root, "someone-elses")).FullName;
        try
        {
            ScratchDirectories.RemoveFoldersOfEndedProcesses();

            Directory.Exists(ended).Should().BeFalse("its process is gone");
            Directory.Exists(reusedPid).Should().BeFalse("a process with that pid runs, but it started at another time");
            Directory.Exists(running).Should().BeTrue("its process (pid 1) still runs");
            Directory.Exists(notOurs).Should().BeTrue("only folders named after a process are ours to remove");
        }
        finally
        {
            ScratchDirectories.Delete(running);
            ScratchDirectories.Delete(notOurs);
        }
    }
}
