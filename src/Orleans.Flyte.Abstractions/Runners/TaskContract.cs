using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Abstractions.Runners;

/// <summary>
/// What a task sees and what it must leave behind, whichever runner runs it (the README's task contract table).
/// <para><c>FLYTE_INPUTS</c> is the path of a JSON object with its inputs, each also given as <c>FLYTE_INPUT_&lt;NAME&gt;</c>
/// (strings as they are, other values as compact JSON); it writes its outputs as one JSON object with every declared
/// output to the path in <c>FLYTE_OUTPUTS</c>; <c>FLYTE_ATTEMPT_ID</c>, <c>FLYTE_EXECUTION_ID</c>, <c>FLYTE_NODE_ID</c>
/// and <c>FLYTE_ATTEMPT</c> say who it is; only the GPU grant decides which devices it sees (<see cref="GpuVisibility"/>).
/// Exit code 0 means success, provided the outputs pass <see cref="ExitedZero"/>.</para>
/// <para>One place for all of it, because the local process runner and the Kubernetes runner must show a task the same
/// world: a task written against one runs unchanged on the other.</para>
/// </summary>
public static class TaskContract
{
    public const string InputsVariable = "FLYTE_INPUTS";
    public const string InputVariablePrefix = "FLYTE_INPUT_";
    public const string OutputsVariable = "FLYTE_OUTPUTS";

    /// <summary>The folder a task writes its <c>file</c> and <c>directory</c> outputs to, each under its output's name.</summary>
    public const string OutputDirectoryVariable = "FLYTE_OUTPUT_DIR";
    public const string AttemptIdVariable = "FLYTE_ATTEMPT_ID";
    public const string ExecutionIdVariable = "FLYTE_EXECUTION_ID";
    public const string NodeIdVariable = "FLYTE_NODE_ID";
    public const string AttemptVariable = "FLYTE_ATTEMPT";
    public const string GpuGrantVariable = "FLYTE_GPU_GRANT";
    public const string CudaVisibleDevices = "CUDA_VISIBLE_DEVICES";
    public const string NvidiaVisibleDevices = "NVIDIA_VISIBLE_DEVICES";

    /// <summary>What <c>NVIDIA_VISIBLE_DEVICES</c> is set to so that the NVIDIA container runtime exposes no GPU.</summary>
    public const string NoDevices = "void";

    /// <summary>The attempt's inputs as a JSON object (empty when none were given); otherwise an error that says why not.</summary>
    public static bool TryParseInputs(string? json, [NotNullWhen(true)] out JsonObject? inputs, [NotNullWhen(false)] out string? error)
    {
        try
        {
            inputs = JsonNode.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json) as JsonObject;
            error = inputs is null ? "the attempt's inputs are not a JSON object" : null;
        }
        catch (JsonException ex)
        {
            inputs = null;
            error = $"the attempt's inputs are not a JSON object: {ex.Message}";
        }

        return inputs is not null;
    }

    /// <summary>The variable an input arrives in: <c>FLYTE_INPUT_</c> and the name upper-cased, anything but ASCII letters,
    /// digits and '_' as '_' (so <c>learning-rate</c> is <c>FLYTE_INPUT_LEARNING_RATE</c>).</summary>
    public static string InputVariable(string inputName)
    {
        ArgumentNullException.ThrowIfNull(inputName);
        var builder = new StringBuilder(InputVariablePrefix, InputVariablePrefix.Length + inputName.Length);
        foreach (var c in inputName.ToUpperInvariant())
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>An input's value as a variable holds it: a string as it is (a shell needs no unquoting), anything else as
    /// compact JSON.</summary>
    public static string InputValue(JsonNode? value) =>
        value is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String
            ? scalar.GetValue<string>()
            : value?.ToJsonString() ?? "null";

    /// <summary>
    /// Writes the task's environment into <paramref name="env"/>, which may already hold what the task inherits (a local
    /// process inherits the silo's): the spec's <c>env</c> first, then every input, then the <c>FLYTE_*</c> variables
    /// and the GPU variables, so neither the spec nor an input can override what the platform says.
    /// </summary>
    /// <param name="inputsPath">Where the task finds its inputs file, as the task sees the file system.</param>
    /// <param name="outputsPath">Where the task writes its outputs, as the task sees the file system.</param>
    /// <param name="outputDirectory">Where the task writes its file and directory outputs (<c>FLYTE_OUTPUT_DIR</c>).</param>
    public static void WriteEnvironment(
        IDictionary<string, string?> env, AttemptLaunch launch, JsonObject inputs, string inputsPath, string outputsPath, GpuVisibility gpus,
        string? outputDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var (key, value) in launch.Env)
        {
            env[key] = value;
        }

        foreach (var (name, value) in inputs)
        {
            env[InputVariable(name)] = InputValue(value);
        }

        env[InputsVariable] = inputsPath;
        env[OutputsVariable] = outputsPath;
        if (outputDirectory is not null)
        {
            env[OutputDirectoryVariable] = outputDirectory;
        }
        env[AttemptIdVariable] = launch.AttemptId;
        env[ExecutionIdVariable] = launch.ExecutionId;
        env[NodeIdVariable] = launch.NodeId;
        env[AttemptVariable] = launch.Attempt.ToString(CultureInfo.InvariantCulture);

        // Only the grant decides which GPUs a task may use: never the silo's own visibility, nor the spec's env.
        env.Remove(CudaVisibleDevices);
        env.Remove(NvidiaVisibleDevices);
        var devices = string.Join(',', launch.Gpu.DeviceIds);
        switch (gpus)
        {
            case GpuVisibility.FromGrant when !launch.Gpu.IsEmpty:
                env[CudaVisibleDevices] = devices;
                env[NvidiaVisibleDevices] = devices;
                break;
            case GpuVisibility.DevicePlugin when launch.Gpu.IsEmpty:
                env[NvidiaVisibleDevices] = NoDevices;
                break;
            case GpuVisibility.DevicePlugin:
                env[GpuGrantVariable] = devices;
                break;
        }
    }

    /// <summary>
    /// The verdict on a task that exited 0: <see cref="AttemptPhase.Succeeded"/> with its outputs when it wrote one JSON
    /// object holding every declared output within the channel's size limit; otherwise <see cref="AttemptPhase.Failed"/>
    /// with exit code 0 and an error that says what is wrong ("task exited 0 but …").
    /// </summary>
    /// <param name="written">What the task wrote to its outputs; null when it wrote nothing there. A task that declares no
    /// outputs and writes nothing succeeds with <c>{}</c>.</param>
    public static AttemptStatus ExitedZero(
        string attemptId, string? written, IReadOnlyList<string> declared, OutputsChannel channel, DateTimeOffset? started, DateTimeOffset? finished)
    {
        ArgumentNullException.ThrowIfNull(declared);
        ArgumentNullException.ThrowIfNull(channel);
        var expected = $"expected outputs: {string.Join(", ", declared)}";
        if (written is null)
        {
            return declared.Count == 0 ? Succeeded("{}") : ExitedZeroBut($"{channel.NothingWritten} ({expected})");
        }

        if (Encoding.UTF8.GetByteCount(written) > channel.MaxBytes)
        {
            return ExitedZeroBut($"wrote {channel.Noun} larger than {channel.MaxBytes.ToString(CultureInfo.InvariantCulture)} bytes, the most outputs may take");
        }

        JsonObject? outputs;
        try
        {
            outputs = JsonNode.Parse(written) as JsonObject;
        }
        catch (JsonException ex)
        {
            return ExitedZeroBut($"wrote {channel.Noun} that is not valid JSON ({ex.Message})");
        }

        if (outputs is null)
        {
            return ExitedZeroBut($"wrote {channel.Noun} that is not a JSON object of named outputs");
        }

        var missing = declared.Where(name => !outputs.ContainsKey(name)).ToList();
        return missing.Count > 0
            ? ExitedZeroBut($"wrote {channel.Noun} that lacks {(missing.Count == 1 ? "output" : "outputs")} {string.Join(", ", missing)} ({expected})")
            : Succeeded(outputs.ToJsonString());

        AttemptStatus Succeeded(string json) =>
            new(attemptId, AttemptPhase.Succeeded, 0, json, StartedAt: started, FinishedAt: finished);

        AttemptStatus ExitedZeroBut(string what) =>
            new(attemptId, AttemptPhase.Failed, 0, Error: $"task exited 0 but {what}", StartedAt: started, FinishedAt: finished);
    }
}
