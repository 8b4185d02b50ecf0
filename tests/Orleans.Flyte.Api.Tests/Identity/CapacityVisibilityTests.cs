using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Api.Auth;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Domain.Identity;

namespace Orleans.Flyte.Api.Tests.Identity;

/// <summary>Everyone sees which project and domain hold each slice; only readers of that project/domain see the runs.</summary>
public sealed class CapacityVisibilityTests
{
    private static readonly DateTimeOffset s_at = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_foreign_projects_executions_never_appear_in_the_capacity_view()
    {
        var own = new LeaseHolder("alpha", "development", "ownrun", "train", 1, "alpha.development.ownrun.train.1", s_at);
        var foreign = new LeaseHolder("beta", "production", "secretrun", "train", 1, "beta.production.secretrun.train.1", s_at);
        var capacity = new GpuCapacity(
            s_at,
            [],
            [new CapacityNode("dgx-1", "schedulable", null, [
                new CapacityDevice("gpu-0", 0, "A100", "a100-40gb", 40, false, own, []),
                new CapacityDevice("gpu-1", 1, "A100", "a100-40gb", 40, true, null, [new CapacitySlice("mig-0", "mig-3g.20gb", foreign)]),
            ])],
            [new CapacityQueueEntry(1, "beta.production.waiting.eval.1", "beta", "production", "waiting", "eval", 1, "mig-3g.20gb x1", 200, s_at, new GpuWaitReason("capacity", "all slices are held", 1), "mig-3g.20gb")],
            []);
        var viewer = new CallerAccess("dev-viewer", [new RoleBinding("dev-viewer", Roles.Viewer, AccessScope.Of("alpha", "development"), "root", s_at, null)]);

        var seen = CapacityVisibility.For(viewer, capacity);

        seen.Nodes[0].Devices[0].HeldBy.Should().Be(own);
        seen.Nodes[0].Devices[1].Slices[0].HeldBy.Should().Be(foreign with { Execution = "(hidden)", Node = "(hidden)", AttemptId = "(hidden)" });
        seen.Queue.Should().ContainSingle().Which.Should().Be(capacity.Queue[0] with { Execution = "(hidden)", Node = "(hidden)", AttemptId = "(hidden)" });
        CapacityVisibility.For(CallerAccess.Unrestricted, capacity).Should().BeEquivalentTo(capacity);
    }
}
