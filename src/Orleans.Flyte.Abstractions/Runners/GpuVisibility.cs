namespace Orleans.Flyte.Abstractions.Runners;

/// <summary>How a runner makes a task's granted GPUs, and only those, visible to it (see
/// <see cref="TaskContract.WriteEnvironment"/>). Either way <c>CUDA_VISIBLE_DEVICES</c> and <c>NVIDIA_VISIBLE_DEVICES</c>
/// from the spec's env or the silo's own environment never reach the task.</summary>
public enum GpuVisibility
{
    /// <summary>The runner sets <c>CUDA_VISIBLE_DEVICES</c> and <c>NVIDIA_VISIBLE_DEVICES</c> to the granted device or MIG
    /// ids; without a grant both are removed. For a local process, which would otherwise inherit the silo's.</summary>
    FromGrant,

    /// <summary>The device plugin sets the visible devices of what the kubelet allocated, so the runner only passes the
    /// grant on as <c>FLYTE_GPU_GRANT</c>; without a grant <c>NVIDIA_VISIBLE_DEVICES</c> is <c>void</c>, which stops the
    /// NVIDIA runtime from exposing every GPU of the node to images that default it to <c>all</c> (the CUDA base images
    /// do). For containers.</summary>
    DevicePlugin,
}
