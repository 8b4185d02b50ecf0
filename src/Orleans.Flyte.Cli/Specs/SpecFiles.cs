using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Output;
using YamlDotNet.Core;

namespace Orleans.Flyte.Cli.Specs;

public enum SpecKind
{
    Task,
    Workflow,
    LaunchPlan,
}

/// <summary>One spec document as written (sent to the API unchanged, so the server's parser is the only judge).</summary>
/// <param name="Source">The file, and <c>#n</c> for the n-th document of a multi-document YAML file.</param>
public sealed record SpecSource(string Source, string Text, bool Json, SpecKind Kind, string Name, string Version)
{
    public string MediaType => Json ? "application/json" : "application/yaml";

    public string KindName => Kind switch
    {
        SpecKind.Task => "task",
        SpecKind.Workflow => "workflow",
        _ => "launch plan",
    };

    public string Collection => Kind switch
    {
        SpecKind.Task => "tasks",
        SpecKind.Workflow => "workflows",
        _ => "launchplans",
    };
}

/// <summary>
/// Reads the spec files named on the command line (files, or directories searched for <c>*.yaml</c>, <c>*.yml</c> and
/// <c>*.json</c>), tells tasks, workflows and launch plans apart by their fields, and orders them so every document
/// comes after what it references: tasks, then workflows, then launch plans.
/// </summary>
public static class SpecFiles
{
    /// <summary>The API takes specs up to 1 MiB; a bigger file is refused here before anything is sent.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    public const int MaxDocuments = 1000;

    private static readonly string[] s_extensions = [".yaml", ".yml", ".json"];

    /// <summary>Every document, in registration order. Throws, naming every bad file, before anything is registered.</summary>
    public static IReadOnlyList<SpecSource> Read(IReadOnlyList<string> paths, string workingDirectory)
    {
        var files = new List<string>();
        var problems = new List<string>();
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path, workingDirectory);
            if (Directory.Exists(full))
            {
                var found = Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
                    .Where(f => s_extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (found.Count == 0)
                {
                    problems.Add($"{path}: the directory holds no .yaml, .yml or .json file");
                }

                files.AddRange(found);
            }
            else if (File.Exists(full))
            {
                files.Add(full);
            }
            else
            {
                problems.Add($"{path}: no such file or directory");
            }
        }

        var documents = new List<SpecSource>();
        foreach (var file in files.Distinct(StringComparer.Ordinal))
        {
            var display = Display(file, workingDirectory);
            try
            {
                documents.AddRange(ReadFile(file, display, problems));
            }
            catch (IOException e)
            {
                problems.Add($"{display}: {e.Message}");
            }
            catch (UnauthorizedAccessException e)
            {
                problems.Add($"{display}: {e.Message}");
            }

            if (documents.Count > MaxDocuments)
            {
                problems.Add($"more than {MaxDocuments} spec documents: register them in smaller sets");
                break;
            }
        }

        if (problems.Count > 0)
        {
            throw new CliException(
                problems.Count == 1 ? $"{problems[0]}; nothing was registered" : $"{problems.Count} spec files cannot be registered; nothing was registered",
                ExitCodes.Failed,
                problems.Count == 1 ? [] : [.. problems.Select(p => "  " + p)]);
        }

        // A stable sort: within a kind, documents keep the order of the files (and of the documents in a file).
        return [.. documents.OrderBy(d => d.Kind)];
    }

    private static List<SpecSource> ReadFile(string file, string display, List<string> problems)
    {
        var length = new FileInfo(file).Length;
        if (length > MaxFileBytes)
        {
            problems.Add($"{display}: {length} bytes; a spec may be at most {MaxFileBytes} bytes");
            return [];
        }

        var text = File.ReadAllText(file, Encoding.UTF8);
        var json = string.Equals(Path.GetExtension(file), ".json", StringComparison.OrdinalIgnoreCase)
            || text.TrimStart().StartsWith('{');
        if (json)
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            }
            catch (JsonException e)
            {
                problems.Add($"{display}: not valid JSON ({e.Message})");
                return [];
            }

            return Classify(display, text, true, node, problems) is { } one ? [one] : [];
        }

        var pieces = SplitDocuments(text);
        var sources = new List<SpecSource>();
        for (var i = 0; i < pieces.Count; i++)
        {
            var source = pieces.Count == 1 ? display : $"{display}#{i + 1}";
            JsonNode? node;
            try
            {
                node = YamlJson.Parse(pieces[i].Text);
            }
            catch (YamlException e)
            {
                problems.Add($"{source}: not valid YAML (line {pieces[i].FirstLine + e.Start.Line - 1}): {e.InnerException?.Message ?? e.Message}");
                continue;
            }

            if (Classify(source, pieces[i].Text, false, node, problems) is { } spec)
            {
                sources.Add(spec);
            }
        }

        if (pieces.Count == 0)
        {
            problems.Add($"{display}: the file is empty");
        }

        return sources;
    }

    /// <summary>
    /// A task has <c>container</c>, a workflow <c>nodes</c>, a launch plan <c>workflow</c> (with optional
    /// <c>schedule</c>, <c>inputs</c>, <c>defaultInputs</c>): specs declare no kind, their fields tell.
    /// </summary>
    private static SpecSource? Classify(string source, string text, bool json, JsonNode? node, List<string> problems)
    {
        if (node is not JsonObject spec)
        {
            problems.Add($"{source}: a spec is a mapping with name, version and the fields of a task, workflow or launch plan");
            return null;
        }

        var marks = new (string Field, SpecKind Kind)[] { ("container", SpecKind.Task), ("nodes", SpecKind.Workflow), ("workflow", SpecKind.LaunchPlan) }
            .Where(m => spec.ContainsKey(m.Field))
            .ToList();
        if (marks.Count != 1)
        {
            problems.Add(marks.Count == 0
                ? $"{source}: is neither a task (has 'container'), a workflow (has 'nodes') nor a launch plan (has 'workflow')"
                : $"{source}: has both {string.Join(" and ", marks.Select(m => $"'{m.Field}'"))}; a task has 'container', a workflow 'nodes', a launch plan 'workflow'");
            return null;
        }

        return new SpecSource(source, text, json, marks[0].Kind, Scalar(spec["name"]), Scalar(spec["version"]));
    }

    private static string Scalar(JsonNode? node) => node is JsonValue value ? value.ToString() : "?";

    /// <summary>
    /// Splits a YAML file at its <c>---</c> lines, keeping each document's text exactly as written so the API parses
    /// what the user wrote. Documents holding only comments or blank lines are dropped.
    /// </summary>
    private static List<(string Text, int FirstLine)> SplitDocuments(string text)
    {
        var documents = new List<(string, int)>();
        var current = new StringBuilder();
        var first = 1;
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            var trimmed = line.TrimEnd('\r', ' ', '\t');
            if (trimmed == "---" || trimmed.StartsWith("--- #", StringComparison.Ordinal) || trimmed == "...")
            {
                Flush();
                first = lineNumber + 1;
                continue;
            }

            current.Append(line).Append('\n');
        }

        Flush();
        return documents;

        void Flush()
        {
            var body = current.ToString();
            current.Clear();
            var meaningful = body.Split('\n').Any(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'));
            if (meaningful)
            {
                documents.Add((body, first));
            }
        }
    }

    private static string Display(string file, string workingDirectory)
    {
        var relative = Path.GetRelativePath(workingDirectory, file);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? file : relative;
    }
}
