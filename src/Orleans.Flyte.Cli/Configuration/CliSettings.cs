namespace Orleans.Flyte.Cli.Configuration;

/// <summary>A resolved setting and where it came from (shown in errors, so a user knows what to change).</summary>
public sealed record Setting(string? Value, string Source)
{
    public bool IsSet => Value is not null;
}

/// <summary>
/// Where the CLI sends requests and as whom, resolved in the usual order: a flag, then the environment, then the
/// config file, then the default.
/// </summary>
public sealed record CliSettings(Setting Url, Setting Token, Setting Project, Setting Domain, ConfigFile File)
{
    public const string DefaultUrl = "http://127.0.0.1:8080";
    public const string DefaultDomain = "development";
    public const string UrlVariable = "ORLEANS_FLYTE_URL";
    public const string TokenVariable = "ORLEANS_FLYTE_TOKEN";
    public const string ProjectVariable = "ORLEANS_FLYTE_PROJECT";
    public const string DomainVariable = "ORLEANS_FLYTE_DOMAIN";

    public static CliSettings Resolve(string? urlFlag, string? tokenFlag, string? projectFlag, string? domainFlag, string? configFlag)
    {
        var path = Pick(configFlag, Environment.GetEnvironmentVariable(ConfigFile.PathVariable)) ?? ConfigFile.DefaultPath();
        var file = ConfigFile.Load(path);
        return new CliSettings(
            Resolve("--url", urlFlag, UrlVariable, file, "url", DefaultUrl),
            Resolve("--token", tokenFlag, TokenVariable, file, "token", null),
            Resolve("--project", projectFlag, ProjectVariable, file, "project", null),
            Resolve("--domain", domainFlag, DomainVariable, file, "domain", DefaultDomain),
            file);
    }

    private static Setting Resolve(string flagName, string? flag, string variable, ConfigFile file, string key, string? fallback)
    {
        if (!string.IsNullOrWhiteSpace(flag))
        {
            return new Setting(flag.Trim(), flagName);
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new Setting(fromEnvironment.Trim(), $"environment variable {variable}");
        }

        if (file[key] is { } fromFile)
        {
            return new Setting(fromFile, $"config file {file.Path}");
        }

        return new Setting(fallback, fallback is null ? "not set" : "default");
    }

    private static string? Pick(params string?[] candidates) => candidates.FirstOrDefault(c => !string.IsNullOrWhiteSpace(c));
}
