using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Domain.Tests.Gpus;

public sealed class GpuAllocatorStateTests
{
    [Fact]
    public void A_grant_of_units_already_held_is_refused_by_the_state()
    {
        // Two activations of the allocator (a split brain) could each decide a grant of the same GPU; whatever reaches
        // the stream second must not take it from the first.
        var gpus = new GpuTestInventory().Node("dgx-01", "whole", "whole");
        var a = gpus.Request("1 × a100-40gb");
        var b = gpus.Request("1 × a100-40gb", project: "beta");
        var unit = gpus.State.Nodes["dgx-01"].Inventory.Devices[0].Id;

        gpus.Apply(new GpuLeaseGranted(a.RequestId, "dgx-01", [unit], "nvidia.com/gpu"));
        gpus.Apply(new GpuLeaseGranted(b.RequestId, "dgx-01", [unit], "nvidia.com/gpu"));

        gpus.State.Holders[GpuAllocatorState.UnitKey("dgx-01", unit)].Should().Be(a.RequestId);
        gpus.State.Leases.Keys.Should().Equal(a.RequestId);
        gpus.State.Waiting.Keys.Should().Contain(b.RequestId, "a refused grant leaves the request waiting for the next decision");
        gpus.State.HeldByProject.Should().NotContainKey("beta");
    }
}
