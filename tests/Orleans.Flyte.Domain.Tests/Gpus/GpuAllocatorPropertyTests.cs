using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Domain.Tests.Gpus;

/// <summary>
/// Random request/release/quota/cordon sequences over random inventories, checked against the event history:
/// no unit held twice, quotas never exceeded at grant, no idle unit while a fitting request waits, every lease
/// released at the end. Each seed is reproducible: a failure names it.
/// </summary>
public sealed class GpuAllocatorPropertyTests
{
    private static readonly string[] s_layouts =
    [
        "whole", "mig:7g.40gb", "mig:3g.20gb,3g.20gb", "mig:4g.20gb,2g.10gb,1g.5gb", "mig:7x1g.5gb", "mig:2g.10gb,2g.10gb,2g.10gb,1g.5gb",
    ];

    private static readonly string[] s_projects = ["alpha", "beta", "gamma"];
    private static readonly string[] s_domains = ["development", "staging", "production"];

    public static TheoryData<int, PlacementPolicy> Seeds()
    {
        var data = new TheoryData<int, PlacementPolicy>();
        for (var seed = 1; seed <= 40; seed++)
        {
            data.Add(seed, seed % 4 == 0 ? PlacementPolicy.FirstFit : PlacementPolicy.BestFit);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_sequences_keep_every_promise(int seed, PlacementPolicy placement)
    {
        var random = new Random(seed);
        var policy = GpuAllocatorPolicy.Default with { Placement = placement, ReserveAfter = TimeSpan.FromMinutes(5) };
        var gpus = new GpuTestInventory();
        var nodes = random.Next(1, 4);
        for (var n = 0; n < nodes; n++)
        {
            gpus.Node($"node-{n}", [.. Enumerable.Range(0, random.Next(2, 9)).Select(_ => s_layouts[random.Next(s_layouts.Length)])]);
        }

        var kinds = gpus.State.Nodes.Values.SelectMany(n => n.Inventory.WholeDevices.Select(d => d.DeviceClass)
            .Concat(n.Inventory.Slices.Select(s => s.Slice.Profile))).Distinct().ToList();

        for (var step = 0; step < 400; step++)
        {
            gpus.Now += TimeSpan.FromSeconds(random.Next(0, 30));
            switch (random.Next(100))
            {
                case < 45:
                    var kind = kinds[random.Next(kinds.Count)];
                    var count = kind.StartsWith("mig-", StringComparison.Ordinal) ? random.Next(1, 3) : random.Next(1, 5);
                    var unit = kind.StartsWith("mig-", StringComparison.Ordinal) || random.Next(3) > 0 ? kind : "gpu";
                    if (GpuScheduler.Unsatisfiable(gpus.State, new GpuShape(unit.StartsWith("mig-", StringComparison.Ordinal) ? unit : null, unit is "gpu" || unit.StartsWith("mig-", StringComparison.Ordinal) ? null : unit, count)) is null)
                    {
                        gpus.Request($"{count} × {unit}", s_projects[random.Next(3)], s_domains[random.Next(3)], random.Next(-10, 11));
                    }

                    break;
                case < 80 when gpus.State.Leases.Count > 0:
                    gpus.Release(gpus.State.Leases.Keys.ElementAt(random.Next(gpus.State.Leases.Count)));
                    break;
                case < 85 when gpus.State.Waiting.Count > 0:
                    gpus.Apply(new GpuRequestCancelled(gpus.State.Waiting.Keys.ElementAt(random.Next(gpus.State.Waiting.Count)), "aborted"));
                    break;
                case < 92:
                    var resource = random.Next(2) == 0 ? "gpu" : kinds[random.Next(kinds.Count)];
                    gpus.Quota(s_projects[random.Next(3)], s_domains[random.Next(3)], resource.StartsWith("mig-", StringComparison.Ordinal) ? resource : "gpu",
                        random.Next(4) == 0 ? null : random.Next(0, 6));
                    break;
                case < 97:
                    var node = $"node-{random.Next(nodes)}";
                    gpus.Condition(node, random.Next(3) == 0 ? GpuNodeCondition.Cordoned : GpuNodeCondition.Schedulable, "test");
                    break;
                default:
                    gpus.Now += TimeSpan.FromMinutes(random.Next(1, 12));
                    break;
            }

            gpus.Decide(policy);
            Consistent(gpus.State).Should().BeEmpty($"seed {seed}, step {step}");
        }

        // Every attempt ends: every lease goes back, and what waited gets its turn.
        for (var round = 0; round < 1000 && (gpus.State.Leases.Count > 0 || gpus.State.Waiting.Count > 0); round++)
        {
            // Each change is its own turn, followed by a decision, as in the grain.
            foreach (var id in gpus.State.Leases.Keys.ToList())
            {
                gpus.Release(id).Decide(policy);
            }

            foreach (var (name, _) in gpus.State.Nodes.Where(n => !n.Value.Schedulable).ToList())
            {
                gpus.Condition(name, GpuNodeCondition.Schedulable).Decide(policy);
            }

            foreach (var quota in gpus.State.Quotas.Keys.ToList())
            {
                var scope = quota.Split('|');
                var pd = scope[0].Split('/');
                gpus.Quota(pd[0], pd[1], scope[1], null).Decide(policy);
            }
        }

        gpus.State.Waiting.Should().BeEmpty($"seed {seed}: with every unit free, every request that some node can serve is granted");
        gpus.State.Leases.Should().BeEmpty();
        gpus.State.Holders.Should().BeEmpty();
        gpus.State.InUse.Should().BeEmpty();
        GpuLeaseAudit.Check(gpus.History, policy).Should().BeEmpty($"seed {seed}");
    }

    [Fact]
    public void The_audit_catches_a_double_grant_and_an_exceeded_quota()
    {
        var gpus = new GpuTestInventory().Node("dgx-01", "whole", "whole").Quota("alpha", "development", "gpu", 1);
        var a = gpus.Request("1 × a100-40gb");
        var b = gpus.Request("1 × a100-40gb", project: "beta");
        var unit = gpus.State.Nodes["dgx-01"].Inventory.Devices[0].Id;
        gpus.Apply(new GpuLeaseGranted(a.RequestId, "dgx-01", [unit], "nvidia.com/gpu"));
        gpus.Apply(new GpuLeaseGranted(b.RequestId, "dgx-01", [unit], "nvidia.com/gpu"));
        var c = gpus.Request("1 × a100-40gb");
        gpus.Apply(new GpuLeaseGranted(c.RequestId, "dgx-01", [gpus.State.Nodes["dgx-01"].Inventory.Devices[1].Id], "nvidia.com/gpu"));

        var problems = GpuLeaseAudit.Check(gpus.History, GpuAllocatorPolicy.Default);
        problems.Should().Contain(p => p.Contains($"granted to {b.RequestId} while held by {a.RequestId}", StringComparison.Ordinal));
        problems.Should().Contain(p => p.Contains("over its quota of 1", StringComparison.Ordinal));
    }

    [Fact]
    public void The_audit_catches_a_request_left_waiting_beside_a_free_unit()
    {
        var gpus = new GpuTestInventory().Node("dgx-01", "whole");
        gpus.Request("1 × a100-40gb");
        gpus.Request("1 × a100-40gb"); // a new turn starts while the first still waits next to a free GPU

        GpuLeaseAudit.Check(gpus.History, GpuAllocatorPolicy.Default).Should()
            .Contain(p => p.StartsWith("before event 3 (GpuRequestQueued): r1 was waiting although", StringComparison.Ordinal));
    }

    private static List<string> Consistent(GpuAllocatorState state)
    {
        var problems = new List<string>();
        var units = state.Leases.Values.SelectMany(l => l.UnitIds.Select(u => GpuAllocatorState.UnitKey(l.Node, u))).ToList();
        if (units.Count != units.Distinct().Count())
        {
            problems.Add("a unit is in two leases");
        }

        if (units.Count != state.Holders.Count)
        {
            problems.Add($"holders ({state.Holders.Count}) and leased units ({units.Count}) disagree");
        }

        if (state.InUse.Values.Sum() != units.Count || state.HeldByProject.Values.Sum() != units.Count)
        {
            problems.Add("usage counters disagree with the leases");
        }

        if (state.Waiting.Keys.Intersect(state.Leases.Keys).Any())
        {
            problems.Add("a request is both waiting and granted");
        }

        return problems;
    }
}
