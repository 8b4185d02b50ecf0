using System.CommandLine;
using Orleans.Flyte.Cli.Configuration;
using Orleans.Flyte.Cli.Output;

namespace Orleans.Flyte.Cli.Commands;

/// <summary><c>config show|set|unset|path</c>: the settings file, and where each effective setting comes from.</summary>
public static class ConfigCommands
{
    public static Command Create(GlobalOptions globals)
    {
        var show = new Command("show", "The effective settings and where each comes from (the token is never shown).").Runs(globals, context =>
        {
            var settings = context.Settings;
            var grid = new Grid("key", "value", "source");
            grid.Add("url", settings.Url.Value, settings.Url.Source);
            grid.Add("token", settings.Token.IsSet ? "(set)" : "(not set)", settings.Token.Source);
            grid.Add("project", settings.Project.Value ?? "-", settings.Project.Source);
            grid.Add("domain", settings.Domain.Value ?? "-", settings.Domain.Source);
            context.Terminal.Table(grid);
            context.Terminal.Note($"config file: {settings.File.Path}{(settings.File.Exists ? string.Empty : " (does not exist)")}");
            return Task.FromResult(ExitCodes.Ok);
        });

        var key = new Argument<string>("KEY") { Description = "url, token, project or domain" };
        key.AcceptOnlyFromAmong([.. ConfigFile.Keys]);
        var value = new Argument<string>("VALUE") { Description = "The value ('-' reads it from stdin, e.g. for a token)" };
        var set = new Command("set", "Store a setting in the config file.").With(key, value).Runs(globals, context =>
        {
            var name = context.Value(key);
            var text = context.Value(value);
            if (text == "-")
            {
                text = Console.In.ReadLine()?.Trim() ?? string.Empty;
            }

            if (text.Length == 0)
            {
                throw CliException.Usage($"config set {name}: the value is empty (use 'config unset {name}' to remove it)");
            }

            if (name == "url" && (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
            {
                throw CliException.Usage($"config set url {text}: give the API's http:// or https:// URL, e.g. {CliSettings.DefaultUrl}");
            }

            var file = context.Settings.File.With(name, text);
            file.Save();
            context.Terminal.Line(name == "token" ? $"token stored in {file.Path}" : $"{name} = {text} (in {file.Path})");
            return Task.FromResult(ExitCodes.Ok);
        });

        var unsetKey = new Argument<string>("KEY") { Description = "url, token, project or domain" };
        unsetKey.AcceptOnlyFromAmong([.. ConfigFile.Keys]);
        var unset = new Command("unset", "Remove a setting from the config file.").With(unsetKey).Runs(globals, context =>
        {
            var file = context.Settings.File.With(context.Value(unsetKey), null);
            file.Save();
            context.Terminal.Line($"{context.Get(unsetKey)} removed from {file.Path}");
            return Task.FromResult(ExitCodes.Ok);
        });

        var path = new Command("path", "Where the config file is.").Runs(globals, context =>
        {
            context.Terminal.Line(context.Settings.File.Path);
            return Task.FromResult(ExitCodes.Ok);
        });

        return new Command("config", "The CLI's settings: API URL, token, default project and domain.").With(show, set, unset, path);
    }
}
