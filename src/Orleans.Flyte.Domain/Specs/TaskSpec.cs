using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Specs;

public sealed record ContainerSpec(string Image, IReadOnlyList<string> Command, IReadOnlyList<string> Args, IReadOnlyDictionary<string, string> Env)
{
    public bool Equals(ContainerSpec? other) =>
        other is not null && Image == other.Image && Command.SequenceEqual(other.Command) && Args.SequenceEqual(other.Args)
        && SpecEquality.Dictionaries(Env, other.Env);

    public override int GetHashCode() => HashCode.Combine(Image, Command.Count, Args.Count, Env.Count);
}

public sealed record ResourceSpec(Quantity? Cpu, Quantity? Memory, GpuRequest? Gpu)
{
    public static readonly ResourceSpec None = new(null, null, null);
}

public sealed record CacheSpec(bool Enabled, string? Version)
{
    public static readonly CacheSpec Disabled = new(false, null);
}

/// <summary>One version of a task: a container with its own resources and a typed interface.</summary>
public sealed record TaskSpec
{
    public const int MaxRetries = 10;
    public const int MaxEnv = 100;
    public static readonly TimeSpan MinTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(7);

    public required string Name { get; init; }
    public required string Version { get; init; }
    public string? Description { get; init; }
    public required ContainerSpec Container { get; init; }
    public ResourceSpec Resources { get; init; } = ResourceSpec.None;
    public IReadOnlyDictionary<string, ParameterSpec> Inputs { get; init; } = new Dictionary<string, ParameterSpec>();
    public IReadOnlyDictionary<string, ParameterSpec> Outputs { get; init; } = new Dictionary<string, ParameterSpec>();
    public int Retries { get; init; }
    public TimeSpan? Timeout { get; init; }
    public CacheSpec Cache { get; init; } = CacheSpec.Disabled;

    // Value equality over the normalized form: collections and JSON values inside compare by content.
    public bool Equals(TaskSpec? other) =>
        other is not null && string.Equals(CanonicalJson.Serialize(ToJson()), CanonicalJson.Serialize(other.ToJson()), StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(CanonicalJson.Serialize(ToJson()));

    /// <summary>The normalized form: defaults omitted, shorthand where possible, durations and profiles normalized.</summary>
    public JsonObject ToJson()
    {
        var container = new JsonObject
        {
            ["image"] = Container.Image,
            ["command"] = new JsonArray([.. Container.Command.Select(c => (JsonNode?)JsonValue.Create(c))]),
        };
        if (Container.Args.Count > 0)
        {
            container["args"] = new JsonArray([.. Container.Args.Select(c => (JsonNode?)JsonValue.Create(c))]);
        }

        if (Container.Env.Count > 0)
        {
            var env = new JsonObject();
            foreach (var (k, v) in Container.Env.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                env[k] = v;
            }

            container["env"] = env;
        }

        var obj = new JsonObject { ["name"] = Name, ["version"] = Version };
        if (Description is not null)
        {
            obj["description"] = Description;
        }

        obj["container"] = container;
        var resources = new JsonObject();
        if (Resources.Cpu is not null)
        {
            resources["cpu"] = Resources.Cpu.Text;
        }

        if (Resources.Memory is not null)
        {
            resources["memory"] = Resources.Memory.Text;
        }

        if (Resources.Gpu is not null)
        {
            resources["gpu"] = Resources.Gpu.ToJson();
        }

        if (resources.Count > 0)
        {
            obj["resources"] = resources;
        }

        if (Inputs.Count > 0)
        {
            obj["inputs"] = Interfaces.ToJson(Inputs);
        }

        if (Outputs.Count > 0)
        {
            obj["outputs"] = Interfaces.ToJson(Outputs);
        }

        if (Retries > 0)
        {
            obj["retries"] = Retries;
        }

        if (Timeout is { } timeout)
        {
            obj["timeout"] = DurationText.Format(timeout);
        }

        if (Cache.Enabled)
        {
            obj["cache"] = new JsonObject { ["enabled"] = true, ["version"] = Cache.Version };
        }

        return obj;
    }
}

/// <summary>Structural validation of a task document; every error points at its field.</summary>
public static class TaskSpecReader
{
    public static SpecResult<TaskSpec> Read(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var errors = new List<SpecError>();
        JsonLiterals.CheckStringLengths(document, string.Empty, errors);
        var fields = new FieldReader(document, string.Empty, errors,
            "name", "version", "description", "container", "resources", "inputs", "outputs", "retries", "timeout", "cache");

        var (name, version) = fields.NameAndVersion("train-model");

        var description = fields.String("description");
        var container = ReadContainer(fields);
        var resources = ReadResources(fields);
        var inputs = Interfaces.Read(fields, "inputs", allowDefaults: true);
        var outputs = Interfaces.Read(fields, "outputs", allowDefaults: false);
        var retries = fields.Int("retries", 0, TaskSpec.MaxRetries) ?? 0;
        var timeout = fields.Duration("timeout", TaskSpec.MinTimeout, TaskSpec.MaxTimeout);
        var cache = ReadCache(fields);

        if (errors.Count > 0 || name is null || version is null || container is null)
        {
            return SpecResult<TaskSpec>.Fail(errors);
        }

        return SpecResult<TaskSpec>.Ok(new TaskSpec
        {
            Name = name,
            Version = version,
            Description = description,
            Container = container,
            Resources = resources,
            Inputs = inputs,
            Outputs = outputs,
            Retries = retries,
            Timeout = timeout,
            Cache = cache,
        });
    }

    private static ContainerSpec? ReadContainer(FieldReader parent)
    {
        var obj = parent.Object("container", required: true);
        if (obj is null)
        {
            if (!parent.Has("container"))
            {
                // Point at what is missing inside, so the message says what a container needs.
                parent.Errors.RemoveAt(parent.Errors.Count - 1);
                parent.Errors.Add(new SpecError("/container/image", "'container.image' is required (e.g. container: { image: registry.local/ml/train:1.4, command: [python, train.py] })"));
            }

            return null;
        }

        var fields = new FieldReader(obj, parent.At("container"), parent.Errors, "image", "command", "args", "env");
        var start = parent.Errors.Count;
        var image = fields.String("image", required: true, example: "image: registry.local/ml/train:1.4");
        if (image is not null && (image.Length == 0 || image.Any(char.IsWhiteSpace)))
        {
            fields.Error("image", $"'{image}' is not an image reference: it must be non-empty and contain no spaces");
        }

        var command = StringList(fields, "command", required: true);
        if (command is { Count: 0 })
        {
            fields.Error("command", "'command' must name at least the program to run (e.g. [python, train.py])");
        }

        var args = StringList(fields, "args", required: false) ?? [];
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (fields.Object("env") is { } envObject)
        {
            if (envObject.Count > TaskSpec.MaxEnv)
            {
                fields.Error("env", $"{envObject.Count} environment variables; at most {TaskSpec.MaxEnv} are allowed");
            }

            foreach (var (key, value) in envObject)
            {
                var at = JsonPointer.Append(fields.At("env"), key);
                if (Names.EnvNameError(key) is { } envError)
                {
                    parent.Errors.Add(new SpecError(at, envError));
                }
                else if (key.StartsWith("FLYTE_", StringComparison.Ordinal))
                {
                    parent.Errors.Add(new SpecError(at, $"'{key}' is reserved: variables starting with FLYTE_ are set by the platform (inputs, outputs, attempt)"));
                }
                else if (FieldReader.Text(value) is { } text)
                {
                    env[key] = text; // over-long values were reported by the document-wide length check
                }
                else
                {
                    parent.Errors.Add(new SpecError(at, $"environment values must be text, not {SpecDocument.Describe(value)}"));
                }
            }
        }

        return parent.Errors.Count == start && image is not null && command is not null
            ? new ContainerSpec(image, command, args, env)
            : null;
    }

    private static List<string>? StringList(FieldReader fields, string field, bool required)
    {
        var array = fields.Array(field, required);
        if (array is null)
        {
            return null;
        }

        var result = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (FieldReader.Text(array[i]) is not { } text)
            {
                fields.Errors.Add(new SpecError(JsonPointer.Append(fields.At(field), i), $"'{field}' items must be text, not {SpecDocument.Describe(array[i])}"));
            }
            else if (text.Length <= FieldReader.MaxStringLength)
            {
                result.Add(text);
            }
        }

        return result;
    }

    private static ResourceSpec ReadResources(FieldReader parent)
    {
        var obj = parent.Object("resources");
        if (obj is null)
        {
            return ResourceSpec.None;
        }

        var fields = new FieldReader(obj, parent.At("resources"), parent.Errors, "cpu", "memory", "gpu");
        var cpu = ReadQuantity(fields, "cpu", "e.g. \"4\", \"500m\" or \"0.5\"", memory: false);
        var memory = ReadQuantity(fields, "memory", "e.g. 32Gi or 32G", memory: true);
        var gpu = fields.Node("gpu") is { } gpuNode ? GpuRequest.Read(gpuNode, fields.At("gpu"), parent.Errors) : null;
        return new ResourceSpec(cpu, memory, gpu);
    }

    private static Quantity? ReadQuantity(FieldReader fields, string field, string example, bool memory)
    {
        var text = fields.String(field);
        if (text is null)
        {
            return null;
        }

        if (!Quantity.TryParse(text, out var quantity))
        {
            fields.Error(field, $"'{text}' is not a Kubernetes quantity; write {example}");
            return null;
        }

        if (quantity.Value <= 0)
        {
            fields.Error(field, $"'{text}' must be more than zero");
            return null;
        }

        if (memory && (quantity.Value != decimal.Truncate(quantity.Value) || quantity.Suffix is "m" or "u" or "n"))
        {
            fields.Error(field, $"'{text}' is not a whole number of bytes; write e.g. 32Gi or 512Mi");
            return null;
        }

        return quantity;
    }

    private static CacheSpec ReadCache(FieldReader parent)
    {
        var obj = parent.Object("cache");
        if (obj is null)
        {
            return CacheSpec.Disabled;
        }

        var fields = new FieldReader(obj, parent.At("cache"), parent.Errors, "enabled", "version");
        var enabled = fields.Bool("enabled") ?? false;
        var version = fields.String("version");
        if (enabled && version is null && !fields.Has("version"))
        {
            fields.Error("version", "a cached task needs a cache version (e.g. version: \"1\"); change it to invalidate old results");
        }
        else if (version is not null && version.Trim().Length == 0)
        {
            fields.Error("version", "the cache version must not be empty (e.g. version: \"1\")");
        }

        return enabled ? new CacheSpec(true, version) : CacheSpec.Disabled;
    }
}
