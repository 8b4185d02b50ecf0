using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Domain.Tests.Gpus;

public sealed class GpuSchedulerTests
{
    [Fact]
    public void A_mig_request_gets_exactly_its_profile_never_a_bigger_slice_or_a_whole_gpu()
    {
        var gpus = new GpuTestInventory().Node("dgx-01", "whole", "mig:7g.40gb", "mig:3g.20gb,2g.10gb,1g.5gb,1g.5gb");
        var request = gpus.Request("1 × mig-2g.10gb");

        var placement = gpus.Decide().Should().ContainSingle().Subject;

        placement.RequestId.Should().Be(request.RequestId);
        placement.ResourceName.Should().Be("nvidia.com/mig-2g.10gb");
        var slice = gpus.State.Nodes["dgx-01"].Inventory.Slices.Single(s => s.Slice.Id == placement.UnitIds.Single());
        slice.Slice.Profile.Should().Be("mig-2g.10gb");
    }

    [Fact]
    public void Best_fit_puts_a_one_gpu_task_on_the_fuller_node_and_keeps_a_whole_node_for_big_work()
    {
        var gpus = new GpuTestInventory()
            .Node("node-a", "whole", "whole", "whole", "whole")
            .Node("node-b", "whole", "whole", "whole", "whole");
        gpus.Request("3 × a100-40gb");
        gpus.Decide().Single().Node.Should().Be("node-a");

        gpus.Request("1 × a100-40gb");
        gpus.Decide().Single().Node.Should().Be("node-a", "node-a has 1 free, node-b has 4: best fit fills node-a");

        gpus.Request("4 × a100-40gb");
        gpus.Decide().Single().Node.Should().Be("node-b", "the 4-GPU request still finds a whole node");
    }

    [Theory]
    [InlineData(PlacementPolicy.BestFit, "node-b", true)]
    [InlineData(PlacementPolicy.FirstFit, "node-a", false)]
    public void First_fit_fragments_where_best_fit_keeps_a_two_gpu_block(PlacementPolicy placement, string oneGpuNode, bool twoGpuFits)
    {
        var policy = GpuAllocatorPolicy.Default with { Placement = placement };
        var gpus = new GpuTestInventory()
            .Node("node-a", "whole", "whole", "whole", "whole")
            .Node("node-b", "whole", "whole", "whole", "whole");
        gpus.Request("2 × a100-40gb");
        gpus.Request("3 × a100-40gb");
        gpus.Decide(policy).Select(p => p.Node).Should().Equal("node-a", "node-b");

        gpus.Request("1 × a100-40gb");
        gpus.Decide(policy).Single().Node.Should().Be(oneGpuNode);

        var pair = gpus.Request("2 × a100-40gb");
        gpus.Decide(policy).Should().HaveCount(twoGpuFits ? 1 : 0);
        if (!twoGpuFits)
        {
            GpuScheduler.Explain(gpus.State, policy, pair.RequestId, gpus.Now)!.Message
                .Should().Be("needs 2 × a100-40gb on one node: at most 1 free on any node (2 of 8 free), first in queue");
        }
    }

    [Fact]
    public void Multi_gpu_requests_land_on_one_node()
    {
        var gpus = new GpuTestInventory()
            .Node("node-a", "whole", "whole")
            .Node("node-b", "whole", "whole");
        gpus.Request("1 × a100-40gb");
        gpus.Request("1 × a100-40gb", project: "beta");
        gpus.Decide().Select(p => p.Node).Should().Equal("node-a", "node-a");

        gpus.Request("2 × a100-40gb");
        var placement = gpus.Decide().Single();
        placement.Node.Should().Be("node-b");
        placement.UnitIds.Should().HaveCount(2);
    }

    [Fact]
    public void A_request_for_any_gpu_takes_the_smallest_class_and_keeps_bigger_gpus_free()
    {
        var gpus = new GpuTestInventory()
            .Node("h100-01", "NVIDIA H100 80GB HBM3", 80, "whole", "whole")
            .Node("a100-01", "whole", "whole");
        gpus.Request("1 × gpu");
        var placement = gpus.Decide().Single();
        placement.Node.Should().Be("a100-01");
        placement.ResourceName.Should().Be("nvidia.com/gpu");
    }

    [Fact]
    public void Production_goes_before_development_and_an_execution_priority_breaks_ties()
    {
        var gpus = new GpuTestInventory().Node("dgx-01", "whole", "mig:3g.20gb,3g.20gb");
        var holder = gpus.Request("2 × mig-3g.20gb");
        gpus.Decide();
        var dev = gpus.Request("1 × mig-3g.20gb", domain: "development");
        var devUrgent = gpus.Request("1 × mig-3g.20gb", domain: "development", priority: 50);
        var prod = gpus.Request("1 × mig-3g.20gb", domain: "production");
        gpus.Decide().Should().BeEmpty();

        GpuScheduler.Explain(gpus.State, GpuAllocatorPolicy.Default, dev.RequestId, gpus.Now)!.Message
            .Should().Be("no free mig-3g.20gb: 0 of 2 free, position 3 in queue");

        gpus.Release(holder.RequestId);
        gpus.Decide().Select(p => p.RequestId).Should().Equal(prod.RequestId, devUrgent.RequestId);
    }

    [Fact]
    public void Ageing_lets_a_long_waiting_development_request_overtake_fresh_production_work()
    {
        var gpus = new GpuTestInventory().Node("dgx-01", "whole");
        var holder = gpus.Request("1 × a100-40gb");
        gpus.Decide();
        var old = gpus.Request("1 × a100-40gb", domain: "development");
        gpus.Now += TimeSpan.FromMinutes(21);
        var fresh = gpus.Request("1 × a100-40gb", domain: "production");

        gpus.Release(holder.RequestId);
        gpus.Decide().Single().RequestId.Should().Be(old.RequestId, "21 minutes of ageing (+210) outweigh production's +200");
        GpuScheduler.Explain(gpus.State, GpuAllocatorPolicy.Default, fresh.RequestId, gpus.Now)!.Code.Should().Be("capacity");
    }

    [Fact]
    public void At_equal_priority_the_project_holding_less_goes_first()
    {
        var gpus = new GpuTestInventory().Node("dgx-01", "whole", "whole", "whole", "whole");
        var a1 = gpus.Request("1 × a100-40gb", project: "alpha");
        var a2 = gpus.Request("1 × a100-40gb", project: "alpha");
        gpus.Decide();
        var a3 = gpus.Request("1 × a100-40gb", project: "alpha");
        var a4 = gpus.Request("1 × a100-40gb", project: "alpha");
        var b1 = gpus.Request("1 × a100-40gb", project: "beta");
        var b2 = gpus.Request("1 × a100-40gb", project: "beta");
        var c1 = gpus.Request("1 × a100-40gb", project: "gamma");

        // Two GPUs are free; alpha holds two already: beta and gamma (holding none) go first, in arrival order.
        gpus.Decide().Select(p => p.RequestId).Should().Equal(b1.RequestId, c1.RequestId);
        // Now alpha holds none and beta and gamma one each: alpha's next goes first, then alpha (1) and beta (1) tie
        // and the earlier arrival wins.
        gpus.Release(a1.RequestId).Release(a2.RequestId);
        gpus.Decide().Select(p => p.RequestId).Should().Equal(a3.RequestId, a4.RequestId);
        GpuScheduler.Explain(gpus.State, GpuAllocatorPolicy.Default, b2.RequestId, gpus.Now)!.Code.Should().Be("capacity");
    }

    [Fact]
    public void A_quota_holds_a_project_back_without_blocking_others_and_says_so()
    {
        var gpus = new GpuTestInventory().Node("dgx-01", "mig:3g.20gb,3g.20gb", "mig:3g.20gb,3g.20gb")
            .Quota("quant", "development", "mig-3g.20gb", 2);
        gpus.Request("1 × mig-3g.20gb", project: "quant");
        gpus.Request("1 × mig-3g.20gb", project: "quant");
        var third = gpus.Request("1 × mig-3g.20gb", project: "quant");
        var other = gpus.Request("1 × mig-3g.20gb", project: "vision");

        gpus.Decide().Select(p => p.RequestId).Should().NotContain(third.RequestId).And.Contain(other.RequestId).And.HaveCount(3);
        var reason = GpuScheduler.Explain(gpus.State, GpuAllocatorPolicy.Default, third.RequestId, gpus.Now)!;
        reason.Code.Should().Be("quota");
        reason.Message.Should().Be("quota development/quant: 2 of 2 mig-3g.20gb in use, this task needs 1");
    }

    [Fact]
    public void Default_quotas_from_configuration_apply_where_none_was_set()
    {
        var policy = GpuAllocatorPolicy.Default with
        {
            DefaultQuotas = new Dictionary<string, IReadOnlyDictionary<string, int>> { ["development"] = new Dictionary<string, int> { ["gpu"] = 1 } },
        };
        var gpus = new GpuTestInventory().Node("dgx-01", "whole", "whole");
        gpus.Request("1 × a100-40gb");
        var second = gpus.Request("1 × a100-40gb");
        gpus.Decide(policy).Should().ContainSingle();
        GpuScheduler.Explain(gpus.State, policy, second.RequestId, gpus.Now)!.Code.Should().Be("quota");

        gpus.Quota("alpha", "development", "gpu", 2);
        gpus.Decide(policy).Single().RequestId.Should().Be(second.RequestId, "an explicit quota overrides the default");
    }

    [Fact]
    public void Cordoned_nodes_get_nothing_new_and_the_reason_names_them()
    {
        var gpus = new GpuTestInventory().Node("dgx-01", "mig:3g.20gb,3g.20gb").Node("dgx-02", "mig:3g.20gb,3g.20gb")
            .Condition("dgx-01", GpuNodeCondition.Cordoned, "maintenance")
            .Condition("dgx-02", GpuNodeCondition.Draining, "driver upgrade");
        var request = gpus.Request("1 × mig-3g.20gb");

        gpus.Decide().Should().BeEmpty();
        GpuScheduler.Explain(gpus.State, GpuAllocatorPolicy.Default, request.RequestId, gpus.Now)!.Message
            .Should().Be("every node with 1 × mig-3g.20gb is unavailable: node dgx-01 cordoned (maintenance); node dgx-02 draining (driver upgrade)");

        gpus.Condition("dgx-02", GpuNodeCondition.Schedulable);
        gpus.Decide().Single().Node.Should().Be("dgx-02");
    }

    [Fact]
    public void A_starving_big_request_gets_a_reservation_so_small_ones_stop_taking_its_node()
    {
        var gpus = new GpuTestInventory().Node("node-a", "whole", "whole");
        var small1 = gpus.Request("1 × a100-40gb");
        gpus.Decide();
        var big = gpus.Request("2 × a100-40gb");
        gpus.Decide().Should().BeEmpty();

        // Before the reservation: backfill lets another small task take the free GPU.
        var small2 = gpus.Request("1 × a100-40gb");
        gpus.Decide().Single().RequestId.Should().Be(small2.RequestId);
        gpus.Release(small1.RequestId);

        gpus.Now += TimeSpan.FromMinutes(11);
        gpus.Request("1 × a100-40gb");
        gpus.Decide().Should().BeEmpty("the big request has waited past ReserveAfter: node-a is kept for it");
        gpus.Release(small2.RequestId);
        gpus.Decide().Single().RequestId.Should().Be(big.RequestId);
    }

    [Fact]
    public void Requests_no_node_could_ever_satisfy_are_named_with_the_inventory()
    {
        var gpus = new GpuTestInventory().Node("dgx-01", "whole", "whole", "mig:3g.20gb,3g.20gb");

        GpuScheduler.Unsatisfiable(gpus.State, new GpuShape(null, "a100-40gb", 2)).Should().BeNull();
        GpuScheduler.Unsatisfiable(gpus.State, new GpuShape(null, "a100-40gb", 3)).Should()
            .Be("3 × a100-40gb can never be granted: no node has 3 (at most 2 on dgx-01). The inventory has dgx-01: 2 × a100-40gb, 2 × mig-3g.20gb");
        GpuScheduler.Unsatisfiable(gpus.State, new GpuShape("mig-1g.5gb", null, 1)).Should()
            .StartWith("1 × mig-1g.5gb can never be granted: no node has a mig-1g.5gb.");
        GpuScheduler.Unsatisfiable(new GpuAllocatorState(), new GpuShape(null, null, 1)).Should()
            .Be("1 × GPU was requested, but the cluster has no GPU nodes");
    }

    [Fact]
    public void A_release_frees_exactly_the_units_of_that_lease()
    {
        var gpus = new GpuTestInventory().Node("dgx-01", "mig:7x1g.5gb");
        var a = gpus.Request("3 × mig-1g.5gb");
        var b = gpus.Request("4 × mig-1g.5gb");
        gpus.Decide().Should().HaveCount(2);
        gpus.State.Holders.Should().HaveCount(7);

        gpus.Release(a.RequestId);
        gpus.State.Holders.Should().HaveCount(4).And.OnlyContain(h => h.Value == b.RequestId);
        gpus.State.Used("alpha", "development", "mig-1g.5gb").Should().Be(4);
        gpus.State.Ended.Should().ContainKey(a.RequestId);
    }
}
