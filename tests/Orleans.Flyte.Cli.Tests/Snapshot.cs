using System.Text;
using System.Text.RegularExpressions;

namespace Orleans.Flyte.Cli.Tests;

/// <summary>
/// Compares piped output with a file under Snapshots/. What changes from run to run is masked first, keeping column
/// widths: execution ids become exec-1, exec-2... in order of appearance (so "who holds what" is still compared),
/// instants become YYYY-MM-DDThh:mm:ssZ, durations &lt;dur&gt;. Set ORLEANS_FLYTE_UPDATE_SNAPSHOTS=1 to rewrite the files.
/// </summary>
public static partial class Snapshot
{
    public static string Directory => Path.Combine(Cli.RepositoryRoot, "tests", "Orleans.Flyte.Cli.Tests", "Snapshots");

    public static void Match(string name, string actual)
    {
        var masked = Mask(actual);
        var path = Path.Combine(Directory, name + ".txt");
        if (Environment.GetEnvironmentVariable("ORLEANS_FLYTE_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, masked, new UTF8Encoding(false));
            return;
        }

        File.Exists(path).Should().BeTrue($"snapshot {path} exists (run with ORLEANS_FLYTE_UPDATE_SNAPSHOTS=1 to create it); the output was:\n{masked}");
        masked.Should().Be(File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal), $"the output matches snapshot {name}");
    }

    public static string Mask(string text)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        text = ExecutionId().Replace(text, m =>
        {
            if (!ids.TryGetValue(m.Value, out var label))
            {
                label = $"exec-{ids.Count + 1}";
                ids[m.Value] = label;
            }

            return label.PadRight(m.Length);
        });
        text = Instant().Replace(text, m => m.Length == 20 ? "YYYY-MM-DDThh:mm:ssZ" : "<instant>");
        text = Duration().Replace(text, m => "<dur>".PadRight(m.Length));

        // A padded mask at the end of a line would leave trailing spaces the output never has.
        return string.Join('\n', text.Split('\n').Select(l => l.TrimEnd(' ')));
    }

    // Execution ids: 20 of [a-z0-9], with at least one digit (plain words of 20 letters do not occur in the output).
    [GeneratedRegex(@"\b(?=[a-z]*[0-9])[a-z0-9]{20}\b")]
    private static partial Regex ExecutionId();

    [GeneratedRegex(@"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")]
    private static partial Regex Instant();

    // A duration and the padding after it, so the mask keeps the column width.
    [GeneratedRegex(@"(?<![\w.])(\d+\.\ds|\d+m\d\ds|\d+h\d\dm)(?![\w.]) *")]
    private static partial Regex Duration();
}
