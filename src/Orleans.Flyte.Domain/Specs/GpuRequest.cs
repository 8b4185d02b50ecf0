using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>
/// A task's GPU request: whole GPUs (any, or of a device class such as <c>a100-40gb</c>) or slices of one exact
/// MIG profile such as <c>mig-3g.20gb</c>.
/// </summary>
public sealed partial record GpuRequest(string? Profile, string? DeviceClass, int Count)
{
    public const int MaxWholeGpus = 16;
    public const int MaxMigSlices = 7;

    public bool IsMig => Profile is not null;

    /// <summary>The Kubernetes extended resource: <c>nvidia.com/gpu</c> or <c>nvidia.com/mig-3g.20gb</c>.</summary>
    public string ResourceName => IsMig ? $"nvidia.com/{Profile}" : "nvidia.com/gpu";

    /// <summary>Normalizes <c>3g.20gb</c>, <c>mig-3g.20gb</c> and <c>nvidia.com/mig-3g.20gb</c> to <c>mig-3g.20gb</c>.</summary>
    public static string? NormalizeProfile(string text)
    {
        var match = ProfilePattern().Match(text.Trim());
        return match.Success
            ? $"mig-{match.Groups["g"].Value}g.{match.Groups["mem"].Value}gb{(match.Groups["me"].Success ? ".me" : string.Empty)}"
            : null;
    }

    internal static GpuRequest? Read(JsonNode node, string pointer, List<SpecError> errors)
    {
        if (node is JsonValue)
        {
            var n = ReadCount(new JsonObject { ["count"] = node.DeepClone() }, pointer, errors, MaxWholeGpus, asShorthand: true);
            return n is { } c ? new GpuRequest(null, null, c) : null;
        }

        if (node is not JsonObject obj)
        {
            errors.Add(new SpecError(pointer, $"'gpu' must be a count (gpu: 2) or a mapping ({{ profile: mig-3g.20gb, count: 1 }} or {{ class: a100-40gb, count: 2 }}), not {SpecDocument.Describe(node)}"));
            return null;
        }

        var fields = new FieldReader(obj, pointer, errors, "profile", "class", "count");
        var start = errors.Count;
        var profileText = fields.String("profile");
        var deviceClass = fields.String("class");
        string? profile = null;
        if (profileText is not null)
        {
            profile = NormalizeProfile(profileText);
            if (profile is null)
            {
                fields.Error("profile", $"'{profileText}' is not a MIG profile; write it as <compute>g.<memory>gb, e.g. mig-1g.5gb, mig-3g.20gb or mig-7g.40gb");
            }
        }

        if (deviceClass is not null && Names.Dns1123LabelError(deviceClass) is { } classError)
        {
            fields.Error("class", "device class " + classError);
        }

        if (profileText is not null && deviceClass is not null)
        {
            errors.Add(new SpecError(pointer, "give either 'profile' (a MIG slice) or 'class' (whole GPUs of a kind), not both"));
        }

        var max = profileText is not null ? MaxMigSlices : MaxWholeGpus;
        var requested = fields.Has("count") ? ReadCount(obj, pointer, errors, max, asShorthand: false) : 1;
        return errors.Count == start && requested is { } value ? new GpuRequest(profile, deviceClass, value) : null;
    }

    private static int? ReadCount(JsonObject obj, string pointer, List<SpecError> errors, int max, bool asShorthand)
    {
        var node = obj["count"];
        var at = asShorthand ? pointer : JsonPointer.Append(pointer, "count");
        if (node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            && decimal.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d)
            && d == decimal.Truncate(d) && Math.Abs(d) < 1_000_000)
        {
            if (d < 1 || d > max)
            {
                errors.Add(new SpecError(at, $"GPU count {d} is out of range; it must be between 1 and {max}"));
                return null;
            }

            return (int)d;
        }

        errors.Add(new SpecError(at, $"GPU count must be a whole number between 1 and {max}, not {SpecDocument.Describe(node)}"));
        return null;
    }

    public JsonNode ToJson()
    {
        var obj = new JsonObject();
        if (Profile is not null)
        {
            obj["profile"] = Profile;
        }

        if (DeviceClass is not null)
        {
            obj["class"] = DeviceClass;
        }

        obj["count"] = Count;
        return obj;
    }

    [GeneratedRegex("^(?:nvidia\\.com/)?(?:mig-)?(?<g>[1-9][0-9]?)g\\.(?<mem>[1-9][0-9]{0,3})gb(?<me>[.+]me)?$")]
    private static partial Regex ProfilePattern();
}
