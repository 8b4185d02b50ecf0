using System.CommandLine;
using System.CommandLine.Invocation;
using Orleans.Flyte.Cli.Commands;

namespace Orleans.Flyte.Cli;

/// <summary>The <c>orleans-flyte</c> command tree.</summary>
public static class CliApp
{
    public static RootCommand Build()
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("orleans-flyte: register, run, watch and inspect Orleans.Flyte workflows over its HTTP API.");
        globals.AddTo(root);
        root.With(
            RegisterCommands.Register(globals),
            ExecutionCommands.Run(globals),
            ArtifactCommands.Create(globals),
            GetCommands.Create(globals),
            ExecutionCommands.Describe(globals),
            ExecutionCommands.Logs(globals),
            ExecutionCommands.Abort(globals),
            ExecutionCommands.Relaunch(globals),
            ExecutionCommands.Recover(globals),
            GpuCommands.Capacity(globals),
            LaunchPlanCommands.Create(globals),
            GpuCommands.Quota(globals),
            GpuCommands.Node(globals),
            ProjectCommands.Create(globals),
            AuditCommands.Create(globals),
            ConfigCommands.Create(globals),
            CompletionCommand.Create(globals));
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction parseError)
        {
            // Help for the whole command drowns the one line that matters; the error says where to look instead.
            parseError.ShowHelp = false;
            await parse.InvokeAsync();
            await Console.Error.WriteLineAsync($"see: orleans-flyte {string.Join(' ', CommandPath(parse))} --help".Replace("  ", " ", StringComparison.Ordinal));
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync();
    }

    private static Stack<string> CommandPath(ParseResult parse)
    {
        var names = new Stack<string>();
        for (var result = parse.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
        {
            names.Push(result.Command.Name);
        }

        return names;
    }
}
