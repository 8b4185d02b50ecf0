using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Output;
using YamlDotNet.Core;

namespace Orleans.Flyte.Cli.Inputs;

/// <summary>
/// Execution inputs from the command line: <c>--inputs file.yaml|json</c> (a mapping), then each <c>-i key=value</c>
/// on top. A value is JSON when it parses as JSON (<c>10</c>, <c>true</c>, <c>[1,2]</c>, <c>{"a":1}</c>,
/// <c>"quoted"</c>), otherwise the text itself; <c>key=@file</c> reads the value from a file, <c>key=@@x</c> is the
/// text <c>@x</c>.
/// </summary>
public static class InputValues
{
    public const int MaxFileBytes = 1024 * 1024;

    public static JsonObject Parse(IReadOnlyList<string> assignments, string? inputsFile, string workingDirectory)
    {
        var inputs = new JsonObject();
        if (inputsFile is not null)
        {
            if (ReadFile(inputsFile, workingDirectory, requireMapping: true) is not JsonObject fromFile)
            {
                throw new CliException($"{inputsFile}: inputs must be a mapping of input name to value, e.g. 'epochs: 10'", ExitCodes.Usage);
            }

            foreach (var (key, value) in fromFile.ToList())
            {
                fromFile.Remove(key);
                inputs[key] = value;
            }
        }

        foreach (var assignment in assignments)
        {
            var equals = assignment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw CliException.Usage($"-i {assignment}: write an input as NAME=VALUE (e.g. -i epochs=10, -i start_date=2026-11-28, -i config=@config.json)");
            }

            var key = assignment[..equals].Trim();
            var text = assignment[(equals + 1)..];
            inputs[key] = text switch
            {
                _ when text.StartsWith("@@", StringComparison.Ordinal) => JsonValue.Create(text[1..]),
                _ when text.StartsWith('@') => ReadFile(text[1..], workingDirectory, requireMapping: false),
                _ => Value(text),
            };
        }

        return inputs;
    }

    /// <summary>JSON when the text is JSON, else the text as a string.</summary>
    public static JsonNode? Value(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    private static JsonNode? ReadFile(string path, string workingDirectory, bool requireMapping)
    {
        var full = Path.GetFullPath(path, workingDirectory);
        if (!File.Exists(full))
        {
            throw CliException.Usage($"{path}: no such file");
        }

        if (new FileInfo(full).Length > MaxFileBytes)
        {
            throw CliException.Usage($"{path}: an input file may be at most {MaxFileBytes} bytes; upload a large file (orleans-flyte artifact upload FILE) and pass the reference it prints");
        }

        var text = File.ReadAllText(full, Encoding.UTF8);
        var extension = Path.GetExtension(full).ToLowerInvariant();
        try
        {
            return extension switch
            {
                ".json" => JsonNode.Parse(text),
                ".yaml" or ".yml" => YamlJson.Parse(text),
                _ when requireMapping => YamlJson.Parse(text),
                _ => Value(text.TrimEnd('\n', '\r')),
            };
        }
        catch (JsonException e)
        {
            throw CliException.Usage($"{path}: not valid JSON ({e.Message})");
        }
        catch (YamlException e)
        {
            throw CliException.Usage($"{path}: not valid YAML (line {e.Start.Line}): {e.InnerException?.Message ?? e.Message}");
        }
    }
}
