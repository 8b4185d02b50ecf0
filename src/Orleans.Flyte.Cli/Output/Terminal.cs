using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Orleans.Flyte.Cli.Output;

/// <summary>
/// Where output goes and how it looks. On a terminal: Spectre tables, colour and live widgets. Piped or redirected:
/// plain, stable text (fixed column order, no colour, no cursor movement), so scripts and snapshots can rely on it.
/// Errors and notes go to stderr, data to stdout.
/// </summary>
public sealed class Terminal
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly IAnsiConsole? _ansi;
    private readonly bool _colourErrors;

    public Terminal()
    {
        var dumb = string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);
        var noColour = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        Interactive = !Console.IsOutputRedirected && !dumb;
        _colourErrors = !Console.IsErrorRedirected && !dumb && !noColour;
        Out = Console.Out;
        Error = Console.Error;
        _ansi = Interactive ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) }) : null;
    }

    /// <summary>stdout is a terminal: tables with borders, colour, live progress.</summary>
    public bool Interactive { get; }

    public IAnsiConsole? Ansi => _ansi;

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public void Table(Grid grid, string? title = null, string? empty = null)
    {
        if (grid.Count == 0 && empty is not null)
        {
            // An empty listing prints nothing on stdout (a script counting lines counts none); the person is told on stderr.
            if (title is null)
            {
                Note(empty);
            }
            else
            {
                Line($"{title}: {empty}", "grey");
            }

            return;
        }

        if (_ansi is null)
        {
            if (title is not null)
            {
                Out.WriteLine($"{title}:");
            }

            foreach (var line in grid.PlainLines())
            {
                Out.WriteLine(line);
            }

            return;
        }

        if (title is not null)
        {
            _ansi.Write(new Markup($"[bold]{Markup.Escape(title)}[/]\n"));
        }

        _ansi.Write(Render(grid));
    }

    /// <summary>A block of <c>Key:  value</c> lines, the keys aligned.</summary>
    public void Fields(IReadOnlyList<(string Key, Cell Value)> fields)
    {
        if (fields.Count == 0)
        {
            return;
        }

        if (_ansi is null)
        {
            var width = fields.Max(f => f.Key.Length) + 1;
            foreach (var (key, value) in fields)
            {
                Out.WriteLine($"{(key + ":").PadRight(width)}  {value.Text}".TrimEnd());
            }

            return;
        }

        var grid = new Spectre.Console.Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        foreach (var (key, value) in fields)
        {
            grid.AddRow(new Markup($"[bold]{Markup.Escape(key)}:[/]"), Text(value));
        }

        _ansi.Write(grid);
    }

    public void Line(string text = "", string? style = null)
    {
        if (_ansi is null || style is null)
        {
            Out.WriteLine(text);
            return;
        }

        _ansi.Write(new Text(text + "\n", Style.Parse(style)));
    }

    /// <summary>The API's answer as JSON or YAML, unchanged.</summary>
    public void Data(JsonNode? node, OutputFormat format)
    {
        if (format == OutputFormat.Yaml)
        {
            Out.Write(YamlJson.Serialize(node));
            return;
        }

        Out.WriteLine(node is null ? "null" : node.ToJsonString(s_json));
    }

    /// <summary>A remark for the person at the terminal (stderr, so it never mixes with data on stdout).</summary>
    public void Note(string text) => Error.WriteLine(_colourErrors ? $"\u001b[2m{text}\u001b[0m" : text);

    public void Fail(CliException failure)
    {
        Error.WriteLine(_colourErrors ? $"\u001b[31merror:\u001b[0m {failure.Message}" : $"error: {failure.Message}");
        foreach (var detail in failure.Details)
        {
            var colour = detail.TrimStart() switch
            {
                var d when d.StartsWith("+ ", StringComparison.Ordinal) => "\u001b[32m",
                var d when d.StartsWith("- ", StringComparison.Ordinal) => "\u001b[31m",
                var d when d.StartsWith("~ ", StringComparison.Ordinal) => "\u001b[33m",
                _ => null,
            };
            Error.WriteLine(_colourErrors && colour is not null ? $"{colour}{detail}\u001b[0m" : detail);
        }
    }

    public static IRenderable Render(Grid grid)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in grid.Columns)
        {
            table.AddColumn(new TableColumn(new Markup($"[bold]{Markup.Escape(column.ToUpperInvariant())}[/]")));
        }

        foreach (var row in grid.Rows)
        {
            table.AddRow(row.Select(Text));
        }

        return table;
    }

    private static IRenderable Text(Cell cell) =>
        cell.Style is null ? new Text(cell.Text) : new Text(cell.Text, Style.Parse(cell.Style));
}
