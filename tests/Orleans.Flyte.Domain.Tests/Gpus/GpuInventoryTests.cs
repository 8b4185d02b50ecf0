using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Domain.Tests.Gpus;

public sealed class GpuInventoryTests
{
    [Theory]
    [InlineData("NVIDIA A100-SXM4-40GB", 40, "a100-40gb")]
    [InlineData("NVIDIA A100-SXM4-80GB", 80, "a100-80gb")]
    [InlineData("NVIDIA-H100-80GB-HBM3", 80, "h100-80gb")]
    [InlineData("Tesla-V100-SXM2-16GB", 16, "v100-16gb")]
    [InlineData("NVIDIA L40S", 48, "l40s-48gb")]
    [InlineData("NVIDIA A10G", 24, "a10g-24gb")]
    public void Product_names_become_the_device_classes_tasks_ask_for(string product, int memoryGb, string expected) =>
        GpuDeviceClass.From(product, memoryGb).Should().Be(expected);

    [Fact]
    public void A_configured_node_reads_whole_gpus_and_mig_layouts_with_stable_ids()
    {
        var errors = new List<string>();
        var node = GpuLayout.Parse("dgx-a100-01", "NVIDIA A100-SXM4-40GB", 40,
            ["whole", "mig:3g.20gb,2g.10gb,1g.5gb,1g.5gb", "mig:7x1g.5gb"], errors);

        errors.Should().BeEmpty();
        node.Devices.Should().HaveCount(3);
        node.WholeDevices.Should().ContainSingle().Which.DeviceClass.Should().Be("a100-40gb");
        node.Devices[1].Slices.Select(s => s.Profile).Should().Equal("mig-3g.20gb", "mig-2g.10gb", "mig-1g.5gb", "mig-1g.5gb");
        node.Devices[2].Slices.Should().HaveCount(7).And.OnlyContain(s => s.Profile == "mig-1g.5gb");
        node.Devices[0].Id.Should().MatchRegex("^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
        node.Slices.Select(s => s.Slice.Id).Should().OnlyHaveUniqueItems().And.OnlyContain(id => id.StartsWith("MIG-", StringComparison.Ordinal));

        var again = GpuLayout.Parse("dgx-a100-01", "NVIDIA A100-SXM4-40GB", 40, ["whole", "mig:3g.20gb,2g.10gb,1g.5gb,1g.5gb", "mig:7x1g.5gb"], []);
        again.Equivalent(node).Should().BeTrue("ids derive from node and position, so a restart reports the same inventory");
    }

    [Theory]
    [InlineData("mig:4g.20gb,4g.20gb", "use 8 compute units and 40 GB")]
    [InlineData("mig:3g.20gb,3g.20gb,1g.5gb", "use 7 compute units and 45 GB")]
    [InlineData("mig:3g.20", "is not a MIG instance")]
    [InlineData("half", "is neither 'whole' nor")]
    [InlineData("mig:", "needs at least one instance")]
    public void Impossible_layouts_are_refused_with_the_gpu_and_the_reason(string gpu, string expected)
    {
        var errors = new List<string>();
        GpuLayout.Parse("dgx-01", "NVIDIA A100-SXM4-40GB", 40, ["whole", gpu], errors);
        errors.Should().ContainSingle().Which.Should().Contain("GPU node 'dgx-01', GPU 1").And.Contain(expected);
    }
}
