using System.CommandLine;
using Orleans.Flyte.Cli.Configuration;
using Orleans.Flyte.Cli.Http;
using Orleans.Flyte.Cli.Output;

namespace Orleans.Flyte.Cli.Commands;

/// <summary>What a command runs with: its parsed command line, resolved settings, the API and the terminal.</summary>
public sealed class CliContext : IDisposable
{
    private readonly GlobalOptions _globals;
    private CliSettings? _settings;
    private FlyteApi? _api;

    public CliContext(ParseResult parse, GlobalOptions globals, Terminal terminal, CancellationToken cancellation)
    {
        Parse = parse;
        _globals = globals;
        Terminal = terminal;
        Cancellation = cancellation;
        Format = parse.GetValue(globals.Output) switch
        {
            "json" => OutputFormat.Json,
            "yaml" => OutputFormat.Yaml,
            _ => OutputFormat.Table,
        };
    }

    public ParseResult Parse { get; }

    public Terminal Terminal { get; }

    public CancellationToken Cancellation { get; }

    public OutputFormat Format { get; }

    public bool Tables => Format == OutputFormat.Table;

    public string WorkingDirectory { get; } = Environment.CurrentDirectory;

    public CliSettings Settings => _settings ??= CliSettings.Resolve(
        Parse.GetValue(_globals.Url), Parse.GetValue(_globals.Token), Parse.GetValue(_globals.Project), Parse.GetValue(_globals.Domain), Parse.GetValue(_globals.Config));

    public FlyteApi Api => _api ??= new FlyteApi(Settings, TimeSpan.FromSeconds(Parse.GetValue(_globals.RequestTimeout)), Terminal.Error);

    public string Project => Settings.Project.Value ?? throw CliException.Usage(
        $"which project? Pass -p PROJECT, set {CliSettings.ProjectVariable}, or 'orleans-flyte config set project PROJECT'");

    public string Domain => Settings.Domain.Value ?? CliSettings.DefaultDomain;

    /// <summary>The API path of the project/domain: <c>/api/v1/projects/{p}/domains/{d}</c>.</summary>
    public string Scope => $"/api/v1/projects/{Segment(Project)}/domains/{Segment(Domain)}";

    public T? Get<T>(Option<T> option) => Parse.GetValue(option);

    public T? Get<T>(Argument<T> argument) => Parse.GetValue(argument);

    /// <summary>An argument or option the parser has already required (a missing one is a usage error before any command runs).</summary>
    public string Value(Argument<string> argument) => Parse.GetValue(argument) ?? throw CliException.Usage($"{argument.Name} is required");

    public string Value(Option<string> option) => Parse.GetValue(option) ?? throw CliException.Usage($"{option.Name} is required");

    public static string Segment(string value) => Uri.EscapeDataString(value);

    public void Dispose() => _api?.Dispose();
}
