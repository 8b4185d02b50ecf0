using System.Globalization;
using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.LaunchPlans;

/// <summary>
/// One version of a launch plan: a workflow version with fixed inputs (cannot be overridden), default inputs (can be),
/// an optional schedule, and labels.
/// </summary>
public sealed record LaunchPlanSpec
{
    public const int MaxLabels = 32;

    public required string Name { get; init; }
    public required string Version { get; init; }
    public string? Description { get; init; }

    /// <summary>The workflow as written (<c>name@version</c>, or <c>name</c> for the latest at registration).</summary>
    public required TaskReference Workflow { get; init; }

    public JsonObject FixedInputs { get; init; } = [];
    public JsonObject DefaultInputs { get; init; } = [];
    public ScheduleSpec? Schedule { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The normalized form; <see cref="Workflow"/> is written as given (the registry pins it).</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["name"] = Name, ["version"] = Version };
        if (Description is not null)
        {
            obj["description"] = Description;
        }

        obj["workflow"] = Workflow.ToString();
        if (FixedInputs.Count > 0)
        {
            obj["inputs"] = JsonLiterals.Normalize(FixedInputs);
        }

        if (DefaultInputs.Count > 0)
        {
            obj["defaultInputs"] = JsonLiterals.Normalize(DefaultInputs);
        }

        if (Schedule is not null)
        {
            obj["schedule"] = Schedule.ToJson();
        }

        if (Labels.Count > 0)
        {
            var labels = new JsonObject();
            foreach (var (key, value) in Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                labels[key] = value;
            }

            obj["labels"] = labels;
        }

        return obj;
    }

    public bool Equals(LaunchPlanSpec? other) =>
        other is not null && string.Equals(CanonicalJson.Serialize(ToJson()), CanonicalJson.Serialize(other.ToJson()), StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(CanonicalJson.Serialize(ToJson()));
}

/// <summary>Structural validation of a launch plan document (what can be checked without the workflow it names).</summary>
public static class LaunchPlanSpecReader
{
    public static SpecResult<LaunchPlanSpec> Read(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var errors = new List<SpecError>();
        JsonLiterals.CheckStringLengths(document, string.Empty, errors);
        var fields = new FieldReader(document, string.Empty, errors,
            "name", "version", "description", "workflow", "inputs", "defaultInputs", "schedule", "labels");
        var (name, version) = fields.NameAndVersion("nightly-alpha");
        var description = fields.String("description");
        var workflowText = fields.String("workflow", required: true, example: "workflow: train-alpha@v3");
        TaskReference? workflow = null;
        if (workflowText is not null)
        {
            workflow = TaskReference.Parse(workflowText);
            if (Names.Dns1123LabelError(workflow.Name) is { } nameError)
            {
                fields.Error("workflow", $"the workflow name {nameError}");
                workflow = null;
            }
            else if (workflow.Version is { } v && Names.VersionError(v) is { } versionError)
            {
                fields.Error("workflow", versionError);
                workflow = null;
            }
        }

        var fixedInputs = Literals(fields, "inputs");
        var defaultInputs = Literals(fields, "defaultInputs");
        foreach (var (input, _) in fixedInputs)
        {
            if (defaultInputs.ContainsKey(input))
            {
                errors.Add(new SpecError(JsonPointer.Append("/defaultInputs", input),
                    $"input '{input}' is fixed in 'inputs'; a fixed input cannot also have a default"));
            }
        }

        var schedule = ScheduleSpec.Read(fields, "schedule");
        if (schedule?.KickoffTimeInput is { } kickoff && (fixedInputs.ContainsKey(kickoff) || defaultInputs.ContainsKey(kickoff)))
        {
            errors.Add(new SpecError("/schedule/kickoffTimeInput", $"input '{kickoff}' receives the scheduled time; do not also give it a value in inputs or defaultInputs"));
        }

        var labels = Labels(fields);
        if (errors.Count > 0 || name is null || version is null || workflow is null)
        {
            return SpecResult<LaunchPlanSpec>.Fail(errors);
        }

        return SpecResult<LaunchPlanSpec>.Ok(new LaunchPlanSpec
        {
            Name = name,
            Version = version,
            Description = description,
            Workflow = workflow,
            FixedInputs = fixedInputs,
            DefaultInputs = defaultInputs,
            Schedule = schedule,
            Labels = labels,
        });
    }

    private static JsonObject Literals(FieldReader fields, string field)
    {
        var obj = fields.Object(field);
        if (obj is null)
        {
            return [];
        }

        var result = new JsonObject();
        foreach (var (name, value) in obj)
        {
            if (Names.ParameterNameError(name) is { } error)
            {
                fields.Errors.Add(new SpecError(JsonPointer.Append(fields.At(field), name), error));
                continue;
            }

            result[name] = JsonLiterals.Normalize(value);
        }

        return result;
    }

    private static Dictionary<string, string> Labels(FieldReader fields)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var obj = fields.Object("labels");
        if (obj is null)
        {
            return result;
        }

        if (obj.Count > LaunchPlanSpec.MaxLabels)
        {
            fields.Error("labels", $"{obj.Count} labels; at most {LaunchPlanSpec.MaxLabels} are allowed");
            return result;
        }

        foreach (var (key, value) in obj)
        {
            var at = JsonPointer.Append(fields.At("labels"), key);
            if (Names.Dns1123LabelError(key) is { } keyError)
            {
                fields.Errors.Add(new SpecError(at, $"label key {keyError}"));
                continue;
            }

            if (FieldReader.Text(value) is not { Length: <= Names.MaxLabelLength } text)
            {
                fields.Errors.Add(new SpecError(at, $"a label value is text of at most {Names.MaxLabelLength} characters, not {SpecDocument.Describe(value)}"));
                continue;
            }

            result[key] = text;
        }

        return result;
    }
}

/// <summary>The checks that need the workflow a launch plan names, and the inputs of each launch.</summary>
public static class LaunchPlanInputs
{
    /// <summary>Fixed and default inputs exist in the workflow interface and have its types; the kickoff input is a
    /// datetime or string; a scheduled plan leaves no required input without a value.</summary>
    public static IReadOnlyList<SpecError> Validate(LaunchPlanSpec plan, WorkflowSpec workflow)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(workflow);
        var errors = new List<SpecError>();
        CheckLiterals(plan.FixedInputs, "/inputs", workflow, errors);
        CheckLiterals(plan.DefaultInputs, "/defaultInputs", workflow, errors);
        if (plan.Schedule?.KickoffTimeInput is { } kickoff)
        {
            if (!workflow.Inputs.TryGetValue(kickoff, out var parameter))
            {
                errors.Add(new SpecError("/schedule/kickoffTimeInput",
                    $"workflow '{workflow.Name}@{workflow.Version}' has no input '{kickoff}'; its inputs are: {InputNames(workflow)}"));
            }
            else if (parameter.Type.Kind is not (ParameterKind.Datetime or ParameterKind.String))
            {
                errors.Add(new SpecError("/schedule/kickoffTimeInput",
                    $"input '{kickoff}' is {ParameterType.Article(parameter.Type)}; the kickoff time input must be a datetime (or string)"));
            }
        }

        if (plan.Schedule is not null && errors.Count == 0)
        {
            foreach (var (name, parameter) in workflow.Inputs)
            {
                if (parameter.Required && !plan.FixedInputs.ContainsKey(name) && !plan.DefaultInputs.ContainsKey(name)
                    && !string.Equals(name, plan.Schedule.KickoffTimeInput, StringComparison.Ordinal))
                {
                    errors.Add(new SpecError("/schedule",
                        $"scheduled runs would have no value for the required input '{name}' ({parameter.Type}); give it in inputs or defaultInputs, or name it as kickoffTimeInput"));
                }
            }
        }

        return errors;
    }

    /// <summary>
    /// The inputs of one launch: the workflow's defaults, then the plan's defaults, then <paramref name="overrides"/> (which may
    /// not touch fixed inputs), then the fixed inputs, then the scheduled time into the kickoff input. Errors point into
    /// <c>/inputs</c> of the launch request.
    /// </summary>
    public static SpecResult<JsonObject> Compose(LaunchPlanSpec plan, WorkflowSpec workflow, JsonObject? overrides, DateTimeOffset? kickoff)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(workflow);
        var errors = new List<SpecError>();
        var given = new JsonObject();
        foreach (var (name, value) in plan.DefaultInputs)
        {
            given[name] = value?.DeepClone();
        }

        foreach (var (name, value) in overrides ?? [])
        {
            if (plan.FixedInputs.ContainsKey(name))
            {
                errors.Add(new SpecError(JsonPointer.Append("/inputs", name), $"input '{name}' is fixed by launch plan '{plan.Name}@{plan.Version}' and cannot be overridden"));
                continue;
            }

            given[name] = value?.DeepClone();
        }

        foreach (var (name, value) in plan.FixedInputs)
        {
            given[name] = value?.DeepClone();
        }

        if (plan.Schedule?.KickoffTimeInput is { } input && kickoff is { } at && !(overrides?.ContainsKey(input) ?? false))
        {
            given[input] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        if (errors.Count > 0)
        {
            return SpecResult<JsonObject>.Fail(errors);
        }

        return Executions.ExecutionInputs.Bind(workflow, given);
    }

    private static void CheckLiterals(JsonObject values, string pointer, WorkflowSpec workflow, List<SpecError> errors)
    {
        foreach (var (name, value) in values)
        {
            var at = JsonPointer.Append(pointer, name);
            if (!workflow.Inputs.TryGetValue(name, out var parameter))
            {
                errors.Add(new SpecError(at, $"workflow '{workflow.Name}@{workflow.Version}' has no input '{name}'; its inputs are: {InputNames(workflow)}"));
            }
            else if (value is not null && !parameter.Type.Accepts(value, out var reason))
            {
                errors.Add(new SpecError(at, $"input '{name}' must be {ParameterType.Article(parameter.Type)}: {reason}"));
            }
        }
    }

    private static string InputNames(WorkflowSpec workflow) =>
        workflow.Inputs.Count == 0 ? "(none)" : string.Join(", ", workflow.Inputs.Keys.Order(StringComparer.Ordinal));
}
