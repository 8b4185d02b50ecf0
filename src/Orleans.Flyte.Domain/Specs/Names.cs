using System.Text.RegularExpressions;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>Naming rules: names become Kubernetes object names and labels, so they follow DNS-1123.</summary>
public static partial class Names
{
    public const int MaxLabelLength = 63;

    /// <summary>Null when <paramref name="name"/> is a DNS-1123 label, otherwise what is wrong with it.</summary>
    public static string? Dns1123LabelError(string name)
    {
        if (name.Length == 0)
        {
            return "must not be empty";
        }

        if (name.Length > MaxLabelLength)
        {
            return $"'{SpecDocument.Truncate(name)}' is {name.Length} characters; names may be at most {MaxLabelLength}";
        }

        return Dns1123Label().IsMatch(name)
            ? null
            : $"'{name}' is not a valid name: use lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. '{Suggest(name)}')";
    }

    public static string? VersionError(string version) =>
        version.Length is 0 or > MaxLabelLength || !VersionPattern().IsMatch(version)
            ? $"'{SpecDocument.Truncate(version)}' is not a valid version: use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. 'v3' or '1.4.0')"
            : null;

    public static string? ParameterNameError(string name) =>
        name.Length is 0 or > MaxLabelLength || !ParameterPattern().IsMatch(name)
            ? $"'{SpecDocument.Truncate(name)}' is not a valid parameter name: use lowercase letters, digits and '_', starting with a letter or '_' (e.g. 'model_uri')"
            : null;

    public static string? EnvNameError(string name) =>
        name.Length is 0 or > 255 || !EnvPattern().IsMatch(name)
            ? $"'{SpecDocument.Truncate(name)}' is not a valid environment variable name: use letters, digits and '_', not starting with a digit"
            : null;

    private static string Suggest(string name)
    {
        var lowered = SuggestionCleanup().Replace(name.ToLowerInvariant(), "-").Trim('-');
        return lowered.Length == 0 ? "my-task" : lowered.Length > MaxLabelLength ? lowered[..MaxLabelLength].TrimEnd('-') : lowered;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex("^[a-z_][a-z0-9_]*$")]
    private static partial Regex ParameterPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvPattern();

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex SuggestionCleanup();
}
