using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Orleans.Flyte.Cli.Tests;

/// <summary>What one run of the tool did: its exit code and everything it wrote.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr, string CommandLine)
{
    public override string ToString() => $"$ {CommandLine}\nexit code {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>
/// Runs <c>dotnet orleans-flyte.dll ...</c> as a real process with redirected output, as a script or a pipe would, with
/// an environment of the test's choosing (nothing of the machine's ORLEANS_FLYTE_* settings leaks in).
/// </summary>
public sealed class Cli
{
    public static readonly string Assembly = Metadata("CliAssembly");
    public static readonly string RepositoryRoot = Metadata("RepositoryRoot");

    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromMinutes(2);

    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    public string WorkingDirectory { get; set; } = Path.GetTempPath();

    public static string Metadata(string key) =>
        typeof(Cli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"assembly metadata {key} is missing");

    public Task<CliResult> Run(params string[] args) => Run(s_defaultTimeout, null, args);

    public async Task<CliResult> Run(TimeSpan timeout, string? stdin, params string[] args)
    {
        File.Exists(Assembly).Should().BeTrue($"the CLI is built before its tests ({Assembly})");
        var start = new ProcessStartInfo(System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Assembly);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ORLEANS_FLYTE_", StringComparison.Ordinal) || k == "NO_COLOR").ToList())
        {
            start.Environment.Remove(key);
        }

        // A colour terminal type on purpose: plain output must follow from the redirection alone.
        start.Environment["TERM"] = "xterm-256color";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in Environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"orleans-flyte {string.Join(' ', args)} did not end within {timeout}; stdout so far: {await stdout}");
        }

        var result = new CliResult(process.ExitCode, Normalize(await stdout), Normalize(await stderr), "orleans-flyte " + string.Join(' ', args.Select(Quote)));

        // Piped output is plain: no colour, no cursor movement, whatever the command.
        result.Stdout.Should().NotContain("\u001b", $"piped output carries no escape sequences\n{result}");
        result.Stderr.Should().NotContain("\u001b", $"piped errors carry no escape sequences\n{result}");
        return result;
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static string Quote(string arg) => arg.Contains(' ', StringComparison.Ordinal) ? $"'{arg}'" : arg;
}
