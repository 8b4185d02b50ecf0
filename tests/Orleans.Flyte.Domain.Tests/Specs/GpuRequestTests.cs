using Orleans.Flyte.Domain.Specs;
using static Orleans.Flyte.Domain.Tests.Specs.SpecSamples;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class GpuRequestTests
{
    private static SpecResult<TaskSpec> WithGpu(string gpu) =>
        TaskSpecReader.Read(Document(Change(TrainModelYaml, "gpu: { profile: 5g.40gb, count: 1 }", gpu)));

    [Theory]
    [InlineData("gpu: 2", null, null, 2)]
    [InlineData("gpu: { count: 2 }", null, null, 2)]
    [InlineData("gpu: {}", null, null, 1)]
    [InlineData("gpu: { class: a100-40gb, count: 2 }", null, "a100-40gb", 2)]
    [InlineData("gpu: { class: h100 }", null, "h100", 1)]
    [InlineData("gpu: { profile: mig-5g.40gb, count: 1 }", "mig-5g.40gb", null, 1)]
    [InlineData("gpu: { profile: 3g.20gb }", "mig-3g.20gb", null, 1)]
    [InlineData("gpu: { profile: nvidia.com/mig-3g.20gb }", "mig-3g.20gb", null, 1)]
    [InlineData("gpu: { profile: mig-1g.5gb, count: 7 }", "mig-1g.5gb", null, 7)]
    [InlineData("gpu: { profile: 1g.10gb.me }", "mig-1g.10gb.me", null, 1)]
    [InlineData("gpu: { profile: 1g.10gb+me }", "mig-1g.10gb.me", null, 1)]
    [InlineData("gpu: 16", null, null, 16)]
    public void Every_gpu_form_reads_and_profiles_normalize(string gpu, string? profile, string? deviceClass, int count)
    {
        var spec = WithGpu(gpu);

        spec.Errors.Should().BeEmpty();
        spec.Value!.Resources.Gpu.Should().Be(new GpuRequest(profile, deviceClass, count));
    }

    [Fact]
    public void A_bare_count_and_the_count_mapping_normalize_to_the_same_json()
    {
        CanonicalJson.Serialize(WithGpu("gpu: 2").Value!.ToJson()).Should().Be(CanonicalJson.Serialize(WithGpu("gpu: { count: 2 }").Value!.ToJson()));
    }

    [Fact]
    public void Whole_gpus_and_mig_slices_map_to_their_kubernetes_resource_names()
    {
        var whole = new GpuRequest(null, "a100-40gb", 2);
        var slice = new GpuRequest("mig-3g.20gb", null, 1);

        whole.IsMig.Should().BeFalse();
        whole.ResourceName.Should().Be("nvidia.com/gpu");
        slice.IsMig.Should().BeTrue();
        slice.ResourceName.Should().Be("nvidia.com/mig-3g.20gb");
    }

    [Theory]
    [InlineData("gpu: { profile: mig-3g.20gb, count: 8 }", "/resources/gpu/count", "between 1 and 7")]
    [InlineData("gpu: { class: a100-40gb, count: 17 }", "/resources/gpu/count", "between 1 and 16")]
    [InlineData("gpu: 17", "/resources/gpu", "17")]
    [InlineData("gpu: 1.5", "/resources/gpu", "1.5")]
    [InlineData("gpu: { count: '2' }", "/resources/gpu/count", "'2'")]
    [InlineData("gpu: { profile: 3g.20GB }", "/resources/gpu/profile", "3g.20GB")]
    [InlineData("gpu: { profile: mig-3g }", "/resources/gpu/profile", "mig-3g")]
    [InlineData("gpu: { profile: 3g.20gb, class: a100-40gb }", "/resources/gpu", "not both")]
    [InlineData("gpu: { class: -a100 }", "/resources/gpu/class", "-a100")]
    [InlineData("gpu: { kind: a100 }", "/resources/gpu/kind", "unknown field 'kind'")]
    [InlineData("gpu: [1]", "/resources/gpu", "a list")]
    public void Bad_gpu_requests_are_rejected_at_their_field(string gpu, string pointer, string mentioned)
    {
        var errors = WithGpu(gpu).Errors;

        errors.Should().Contain(e => e.Pointer == pointer, Describe(errors));
        errors.First(e => e.Pointer == pointer).Message.Should().Contain(mentioned);
    }
}
