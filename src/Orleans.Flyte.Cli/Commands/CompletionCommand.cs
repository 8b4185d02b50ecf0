using System.CommandLine;

namespace Orleans.Flyte.Cli.Commands;

/// <summary>
/// <c>completion bash|zsh|fish|pwsh</c>: a script for the shell's profile. The shell asks the tool itself for
/// completions through System.CommandLine's <c>[suggest:POSITION]</c> directive, so they always match this version.
/// </summary>
public static class CompletionCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh, fish or pwsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish", "pwsh");
        return new Command("completion", "Print a shell completion script: source <(orleans-flyte completion bash)")
            .With(shell)
            .Runs(globals, context =>
            {
                context.Terminal.Out.Write(Script(context.Value(shell)));
                return Task.FromResult(ExitCodes.Ok);
            });
    }

    public static string Script(string shell) => shell switch
    {
        "bash" => Bash,
        "zsh" => "autoload -U +X bashcompinit && bashcompinit\n" + Bash,
        "fish" => """
            # orleans-flyte completion for fish: orleans-flyte completion fish > ~/.config/fish/completions/orleans-flyte.fish
            complete -c orleans-flyte -f -a '(orleans-flyte "[suggest:"(string length -- (commandline -cp))"]" (commandline -cp) 2>/dev/null)'

            """,
        _ => """
            # orleans-flyte completion for PowerShell: orleans-flyte completion pwsh >> $PROFILE
            Register-ArgumentCompleter -Native -CommandName orleans-flyte -ScriptBlock {
                param($wordToComplete, $commandAst, $cursorPosition)
                orleans-flyte "[suggest:$cursorPosition]" "$commandAst" 2>$null | ForEach-Object {
                    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
                }
            }

            """,
    };

    private const string Bash = """
        # orleans-flyte completion for bash: source <(orleans-flyte completion bash), or add that line to ~/.bashrc
        _orleans_flyte_complete()
        {
            local IFS=$'\n'
            local candidates
            candidates="$(orleans-flyte "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)"
            COMPREPLY=( $(compgen -W "${candidates}" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _orleans_flyte_complete orleans-flyte

        """;
}
