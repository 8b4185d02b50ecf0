using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Abstractions.Runners;

/// <summary>Everything a runner needs to start one attempt.</summary>
/// <param name="AttemptId">Unique and stable: <c>{project}.{domain}.{executionId}.{nodeId}.{attempt}</c>; names the pod or work directory.</param>
/// <param name="InputsJson">The attempt's resolved inputs as a JSON object.</param>
/// <param name="Gpu">The allocator's grant; empty until GPUs are allocated.</param>
/// <param name="ArtifactInputs">The inputs typed <c>file</c> or <c>directory</c>: their values are references into the
/// artifact store, which the runner turns into paths the task can read.</param>
/// <param name="ArtifactOutputs">The outputs typed <c>file</c> or <c>directory</c>: the task writes each to
/// <c>$FLYTE_OUTPUT_DIR/&lt;name&gt;</c>, and the runner stores it and reports its reference as the output.</param>
public sealed record AttemptLaunch(
    string AttemptId,
    string Project,
    string Domain,
    string ExecutionId,
    string NodeId,
    int Attempt,
    string Image,
    IReadOnlyList<string> Command,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Env,
    string InputsJson,
    IReadOnlyList<string> OutputNames,
    string? Cpu,
    string? Memory,
    GpuGrant Gpu,
    TimeSpan? Timeout,
    IReadOnlyDictionary<string, ParameterType>? ArtifactInputs = null,
    IReadOnlyDictionary<string, ParameterType>? ArtifactOutputs = null);
