using System.CommandLine;

namespace Orleans.Flyte.Cli.Commands;

/// <summary>Options every command takes: where the API is, who is asking, the scope, and the output format.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Url { get; } = new("--url")
    {
        Description = "The Orleans.Flyte API (default: ORLEANS_FLYTE_URL, the config file, http://127.0.0.1:8080)",
        HelpName = "URL",
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "Bearer token sent with every request (default: ORLEANS_FLYTE_TOKEN, the config file); never printed",
        HelpName = "TOKEN",
        Recursive = true,
    };

    public Option<string?> Project { get; } = new("--project", "-p")
    {
        Description = "Project (default: ORLEANS_FLYTE_PROJECT, the config file)",
        HelpName = "PROJECT",
        Recursive = true,
    };

    public Option<string?> Domain { get; } = new("--domain", "-d")
    {
        Description = "Domain (default: ORLEANS_FLYTE_DOMAIN, the config file, development)",
        HelpName = "DOMAIN",
        Recursive = true,
    };

    public Option<string> Output { get; } = new("--output", "-o")
    {
        Description = "table (default; plain text when piped), json or yaml (the API's answer as it came)",
        HelpName = "FORMAT",
        Recursive = true,
        DefaultValueFactory = _ => "table",
    };

    public Option<string?> Config { get; } = new("--config")
    {
        Description = "Config file (default: ORLEANS_FLYTE_CONFIG, or orleans-flyte/config.yaml in the user's config directory)",
        HelpName = "FILE",
        Recursive = true,
    };

    public Option<int> RequestTimeout { get; } = new("--request-timeout")
    {
        Description = "Seconds to wait for each API answer",
        HelpName = "SECONDS",
        Recursive = true,
        DefaultValueFactory = _ => 30,
    };

    public GlobalOptions()
    {
        Output.AcceptOnlyFromAmong("table", "json", "yaml");
        RequestTimeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 3600)
            {
                r.AddError("--request-timeout must be between 1 and 3600 seconds");
            }
        });
    }

    public void AddTo(Command root)
    {
        root.Options.Add(Url);
        root.Options.Add(Token);
        root.Options.Add(Project);
        root.Options.Add(Domain);
        root.Options.Add(Output);
        root.Options.Add(Config);
        root.Options.Add(RequestTimeout);
    }
}
