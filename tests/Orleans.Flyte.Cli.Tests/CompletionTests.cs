namespace Orleans.Flyte.Cli.Tests;

/// <summary>Shell completion asks the tool itself ([suggest:POSITION]), so it needs no platform.</summary>
public sealed class CompletionTests
{
    private readonly Cli _cli = new();

    [Theory]
    [InlineData("orleans-flyte ge", "get")]
    [InlineData("orleans-flyte get ex", "exec\nexecution\nexecutions")]
    [InlineData("orleans-flyte get executions --phase Fa", "Failed\nFailing")]
    [InlineData("orleans-flyte launchplan ac", "activate")]
    [InlineData("orleans-flyte describe x -o ", "json\ntable\nyaml")]
    public async Task The_tool_completes_commands_options_and_values(string line, string expected)
    {
        var result = await _cli.Run($"[suggest:{line.Length}]", line);

        result.ExitCode.Should().Be(0, result.ToString());

        // System.CommandLine offers every candidate containing the word; the shell scripts keep those it starts with.
        var word = line.Split(' ')[^1];
        var offered = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        offered.Where(o => o.StartsWith(word, StringComparison.Ordinal)).Should().Equal(expected.Split('\n'));
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _orleans_flyte_complete orleans-flyte")]
    [InlineData("zsh", "bashcompinit")]
    [InlineData("fish", "complete -c orleans-flyte")]
    [InlineData("pwsh", "Register-ArgumentCompleter -Native -CommandName orleans-flyte")]
    public async Task A_completion_script_is_printed_for_each_shell(string shell, string expected)
    {
        var result = await _cli.Run("completion", shell);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Stdout.Should().Contain(expected).And.Contain("[suggest:");
    }
}
