using System.Text;
using System.Text.RegularExpressions;

namespace Orleans.Flyte.Api.Tests.Readme;

/// <summary>
/// The shell examples of the README, read from the file itself: the <c>```bash</c> blocks under a heading, split into
/// the commands a reader would paste one by one (a command goes on over <c>\</c> line ends, heredocs and
/// <c>for ... do ... done</c>). Comment lines and blank lines are not commands.
/// </summary>
public static partial class ReadmeBlocks
{
    public static string Path => System.IO.Path.Combine(Orleans.Flyte.Testing.Checkout.Root, "README.md");

    /// <summary>Every command of the bash blocks in the section whose heading is <paramref name="heading"/>
    /// (up to the next heading of any level).</summary>
    public static IReadOnlyList<string> Commands(string heading)
    {
        var lines = File.ReadAllLines(Path);
        var start = Array.FindIndex(lines, l => HeadingText(l) == heading);
        if (start < 0)
        {
            throw new InvalidOperationException($"README.md has no heading '{heading}'.");
        }

        var commands = new List<string>();
        var inBlock = false;
        var current = new StringBuilder();
        string? heredocEnd = null;
        var loops = 0;
        for (var i = start + 1; i < lines.Length && (inBlock || HeadingText(lines[i]) is null); i++)
        {
            var line = lines[i];
            if (!inBlock)
            {
                inBlock = line.Trim() == "```bash";
                continue;
            }

            if (heredocEnd is null && current.Length == 0 && line.Trim() == "```")
            {
                inBlock = false;
                continue;
            }

            if (current.Length == 0 && (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')))
            {
                continue;
            }

            current.Append(line).Append('\n');
            if (heredocEnd is not null)
            {
                heredocEnd = line == heredocEnd ? null : heredocEnd;
            }
            else if (Heredoc().Match(line) is { Success: true } heredoc)
            {
                heredocEnd = heredoc.Groups[1].Value;
            }

            loops += LoopStart().IsMatch(line) ? 1 : 0;
            loops -= LoopEnd().IsMatch(line) ? 1 : 0;
            if (heredocEnd is null && loops == 0 && !line.TrimEnd().EndsWith('\\'))
            {
                commands.Add(current.ToString());
                current.Clear();
            }
        }

        return commands;
    }

    private static string? HeadingText(string line) => line.StartsWith('#') && line.TrimStart('#').StartsWith(' ') ? line.TrimStart('#').Trim() : null;

    [GeneratedRegex("<<-?'?([A-Za-z_]+)'?")]
    private static partial Regex Heredoc();

    [GeneratedRegex(@"^\s*(for|while)\b.*\bdo\s*$")]
    private static partial Regex LoopStart();

    [GeneratedRegex(@"^\s*done\b")]
    private static partial Regex LoopEnd();
}
