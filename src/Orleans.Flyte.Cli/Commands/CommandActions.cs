using System.CommandLine;
using Orleans.Flyte.Cli.Output;

namespace Orleans.Flyte.Cli.Commands;

public static class CommandActions
{
    /// <summary>
    /// Runs a command body with its context. Failures the user can act on become one <c>error:</c> line and their exit
    /// code; Ctrl-C ends with 130.
    /// </summary>
    public static Command Runs(this Command command, GlobalOptions globals, Func<CliContext, Task<int>> body)
    {
        command.SetAction(async (parse, cancellation) =>
        {
            var terminal = new Terminal();
            try
            {
                using var context = new CliContext(parse, globals, terminal, cancellation);
                return await body(context);
            }
            catch (CliException failure)
            {
                terminal.Fail(failure);
                return failure.ExitCode;
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                terminal.Note("interrupted");
                return ExitCodes.Interrupted;
            }
        });
        return command;
    }

    public static Command With(this Command command, params Symbol[] symbols)
    {
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option option:
                    command.Options.Add(option);
                    break;
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Command sub:
                    command.Subcommands.Add(sub);
                    break;
            }
        }

        return command;
    }

    public static Command Alias(this Command command, params string[] aliases)
    {
        foreach (var alias in aliases)
        {
            command.Aliases.Add(alias);
        }

        return command;
    }
}
