using System.Text.Json.Nodes;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Cli.Tests;

/// <summary>
/// "Who holds the 3g.20gb slices, and why does my task wait?": the sample node has two mig-3g.20gb slices, so the
/// third of three runs waits, and capacity, describe and get say so.
/// </summary>
[Collection(SharedPlatform.Name)]
public sealed class CapacityTests(Platform platform) : PlatformTest(platform, "cli-gpu")
{
    private static readonly TimeSpan s_wait = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Capacity_shows_who_holds_each_slice_and_the_waiting_task_with_its_position_and_reason()
    {
        var gate = Path.Combine(Work, "go");
        await RegisterScript("tune", $"echo \"on $CUDA_VISIBLE_DEVICES\"; while [ ! -f {gate} ]; do sleep 0.1; done",
            extra: "resources: { gpu: { profile: mig-3g.20gb } }");

        var ids = new List<string>();
        try
        {
            // One at a time, each holding its slice before the next is submitted: the grant order is the submission order.
            for (var i = 0; i < 3; i++)
            {
                var run = await Cli.Run("run", "tune", "-q");
                run.ExitCode.Should().Be(0, run.ToString());
                var id = run.Stdout.Trim();
                ids.Add(id);
                var expected = i < 2 ? "Running" : "WaitingForResources";
                await Eventually.Until(async () => (await NodePhase(id)) == expected && (i < 2 || await Waiting(id)), $"run {i + 1} to be {expected}", s_wait);
            }

            var capacity = await Cli.Run("capacity", "--resource", "mig-3g.20gb");
            capacity.ExitCode.Should().Be(0, capacity.ToString());
            Snapshot.Match("capacity-one-waiting", capacity.Stdout);
            var units = capacity.Stdout.Split('\n').Where(l => l.StartsWith("dgx-a100-01  5    mig-3g.20gb  cli-gpu/development", StringComparison.Ordinal)).ToList();
            units.Should().HaveCount(2);
            units[0].Should().Contain(ids[0]);
            units[1].Should().Contain(ids[1]);
            capacity.Stdout.Should().Contain($"1    1 × mig-3g.20gb  cli-gpu/development  {ids[2]}  step#1");

            var described = await Cli.Run("describe", ids[2]);
            described.Stdout.Should().Contain("step  tune@v1  WaitingForResources  0         ")
                .And.Contain("no free mig-3g.20gb: 0 of 2 free, first in queue");

            var everything = await Cli.Run("capacity");
            everything.ExitCode.Should().Be(0, everything.ToString());
            everything.Stdout.Should().Contain("a100-40gb    4      4     0     0            0");
        }
        finally
        {
            await File.WriteAllTextAsync(gate, string.Empty);
            foreach (var id in ids)
            {
                await Eventually.Until(async () => (await NodePhase(id)) == "Succeeded", $"{id} to end and give its slice back", s_wait);
            }
        }
    }

    [Fact]
    public async Task A_quota_of_zero_holds_a_task_back_saying_so_and_removing_it_lets_it_run()
    {
        await RegisterScript("small", "echo ok", extra: "resources: { gpu: { profile: mig-1g.5gb } }");
        var set = await Cli.Run("quota", "set", "mig-1g.5gb", "0", "--reason", "nothing for now");
        set.ExitCode.Should().Be(0, set.ToString());
        set.Stdout.Should().Be("quota cli-gpu/development mig-1g.5gb: 0 of 0 in use\n");

        var id = (await Cli.Run("run", "small", "-q")).Stdout.Trim();
        await Eventually.Until(() => Waiting(id), "the run to wait for its quota", s_wait);
        var capacity = await Cli.Run("capacity", "--resource", "mig-1g.5gb");
        capacity.Stdout.Should().Contain("quota development/cli-gpu: 0 of 0 mig-1g.5gb in use, this task needs 1")
            .And.Contain("cli-gpu  development  mig-1g.5gb  0     0      no");

        var removed = await Cli.Run("quota", "rm", "mig-1g.5gb");
        removed.ExitCode.Should().Be(0, removed.ToString());
        removed.Stdout.Should().Be("quota cli-gpu/development mig-1g.5gb removed\n");
        var watched = await Cli.Run(s_wait, null, "describe", id, "--watch");
        watched.ExitCode.Should().Be(0, watched.ToString());
    }

    [Fact]
    public async Task Cordon_drain_and_uncordon_change_the_node_condition_with_the_reason()
    {
        try
        {
            var cordoned = await Cli.Run("node", "cordon", "dgx-a100-01", "--reason", "driver upgrade");
            cordoned.ExitCode.Should().Be(0, cordoned.ToString());
            cordoned.Stdout.Should().Be("node dgx-a100-01: Cordoned (driver upgrade)\n");

            var drained = await Cli.Run("node", "drain", "dgx-a100-01", "--reason", "maintenance");
            drained.Stdout.Should().Be("node dgx-a100-01: Draining (maintenance)\n");
        }
        finally
        {
            var uncordoned = await Cli.Run("node", "uncordon", "dgx-a100-01");
            uncordoned.ExitCode.Should().Be(0, uncordoned.ToString());
            uncordoned.Stdout.Should().Be("node dgx-a100-01: Schedulable\n");
        }

        var unknown = await Cli.Run("node", "cordon", "no-such-node");
        unknown.ExitCode.Should().Be(1);
        unknown.Stderr.Should().Be("error: GPU node 'no-such-node' is not in the inventory.\n");
    }

    private async Task<string?> NodePhase(string id)
    {
        var result = await Cli.Run("describe", id, "-o", "json");
        return JsonNode.Parse(result.Stdout)?["nodes"]?[0]?["phase"]?.GetValue<string>();
    }

    private async Task<bool> Waiting(string id)
    {
        var result = await Cli.Run("describe", id, "-o", "json");
        return JsonNode.Parse(result.Stdout)?["nodes"]?[0]?["waiting"] is not null;
    }
}
