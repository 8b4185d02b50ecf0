using System.Text;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orleans.Flyte.Cli.Configuration;

/// <summary>
/// The user's settings file: a YAML mapping with <c>url</c>, <c>token</c>, <c>project</c> and <c>domain</c>.
/// It lives in the user's config directory (<c>$XDG_CONFIG_HOME/orleans-flyte/config.yaml</c>, usually
/// <c>~/.config/orleans-flyte/config.yaml</c>; <c>%APPDATA%\orleans-flyte\config.yaml</c> on Windows), or where
/// <c>--config</c> / <c>ORLEANS_FLYTE_CONFIG</c> point. It may hold a token, so it is written readable by its owner only.
/// </summary>
public sealed class ConfigFile
{
    public const string PathVariable = "ORLEANS_FLYTE_CONFIG";

    public static readonly IReadOnlyList<string> Keys = ["url", "token", "project", "domain"];

    private const int MaxBytes = 64 * 1024;

    private readonly SortedDictionary<string, string> _values;

    private ConfigFile(string path, SortedDictionary<string, string> values)
    {
        Path = path;
        _values = values;
    }

    public string Path { get; }

    public bool Exists => File.Exists(Path);

    public string? this[string key] => _values.TryGetValue(key, out var value) ? value : null;

    public static string DefaultPath()
    {
        var configHome = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrWhiteSpace(configHome))
        {
            configHome = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        }

        if (string.IsNullOrWhiteSpace(configHome))
        {
            configHome = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        }

        return System.IO.Path.Combine(configHome, "orleans-flyte", "config.yaml");
    }

    /// <summary>Reads the file; a missing file is an empty configuration, an unreadable one an error that names it.</summary>
    public static ConfigFile Load(string path)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return new ConfigFile(path, values);
        }

        var info = new FileInfo(path);
        if (info.Length > MaxBytes)
        {
            throw new CliException($"the config file {path} is {info.Length} bytes; at most {MaxBytes} are read. Is it the right file?");
        }

        try
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(File.ReadAllText(path, Encoding.UTF8)));
            if (yaml.Documents.Count == 0)
            {
                return new ConfigFile(path, values);
            }

            if (yaml.Documents[0].RootNode is not YamlMappingNode mapping)
            {
                throw new CliException($"the config file {path} must be a mapping such as 'url: http://127.0.0.1:8080'");
            }

            foreach (var (keyNode, valueNode) in mapping.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
                if (!Keys.Contains(key, StringComparer.Ordinal))
                {
                    throw new CliException($"the config file {path} has an unknown key '{key}' (line {keyNode.Start.Line}); keys are {string.Join(", ", Keys)}");
                }

                if (valueNode is YamlScalarNode { Value: { Length: > 0 } value })
                {
                    values[key] = value;
                }
            }
        }
        catch (YamlException e)
        {
            throw new CliException($"the config file {path} is not valid YAML (line {e.Start.Line}): {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new CliException($"the config file {path} could not be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException($"the config file {path} could not be read: {e.Message}", e);
        }

        return new ConfigFile(path, values);
    }

    public ConfigFile With(string key, string? value)
    {
        var values = new SortedDictionary<string, string>(_values, StringComparer.Ordinal);
        if (value is null)
        {
            values.Remove(key);
        }
        else
        {
            values[key] = value;
        }

        return new ConfigFile(Path, values);
    }

    public void Save()
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var text = new StringBuilder("# orleans-flyte settings (orleans-flyte config set KEY VALUE)\n");
        foreach (var key in Keys)
        {
            if (_values.TryGetValue(key, out var value))
            {
                // A JSON string is a valid YAML double-quoted scalar: no value can be misread as another type.
                text.Append(key).Append(": ").Append(JsonSerializer.Serialize(value)).Append('\n');
            }
        }

        // Write a new file readable by its owner only, then move it over the old one, so a token is never world-readable
        // and a crash never leaves half a file.
        var temporary = Path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            writer.Write(text.ToString());
        }

        File.Move(temporary, Path, overwrite: true);
    }
}
