using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Orleans.Flyte.Api.Tests.Readme;

/// <summary>What one README command did: its exit code, what it printed, and the HTTP status of every curl it ran.</summary>
public sealed record CommandResult(string Command, int ExitCode, string Stdout, string Stderr, IReadOnlyList<int> Statuses)
{
    public override string ToString() =>
        $"command:\n{Command}exit code {ExitCode}, statuses [{string.Join(", ", Statuses)}]\nstdout:\n{Cut(Stdout)}\nstderr:\n{Cut(Stderr)}";

    private static string Cut(string text) => text.Length <= 1500 ? text : text[..1500] + " …";
}

/// <summary>
/// One bash session that runs README commands as a reader would: one after the other, variables carried over (API, X,
/// ID), in a working directory that has the checkout's <c>docs/</c> and a <c>.data/admin-token</c> holding the token the
/// test platform accepts. The README's address (http://127.0.0.1:8080) is replaced by the test platform's. curl is
/// wrapped only to also write its status code to stderr, so what a command prints is exactly what the reader sees.
/// </summary>
public sealed partial class ReadmeShell : IAsyncDisposable
{
    public const string ReadmeAddress = "http://127.0.0.1:8080";

    private readonly Process _bash;
    private readonly string _directory;
    private readonly string _baseAddress;
    private int _count;

    private ReadmeShell(Process bash, string directory, string baseAddress)
    {
        _bash = bash;
        _directory = directory;
        _baseAddress = baseAddress;
    }

    /// <param name="baseAddress">The platform's address, without a trailing slash.</param>
    /// <param name="adminToken">What <c>.data/admin-token</c> holds, for README lines that send it.</param>
    public static ReadmeShell Start(string baseAddress, string adminToken)
    {
        var directory = Orleans.Flyte.Testing.ScratchDirectories.Create("readme");
        Directory.CreateSymbolicLink(System.IO.Path.Combine(directory, "docs"), System.IO.Path.Combine(Orleans.Flyte.Testing.Checkout.Root, "docs"));
        Directory.CreateDirectory(System.IO.Path.Combine(directory, ".data"));
        File.WriteAllText(System.IO.Path.Combine(directory, ".data", "admin-token"), adminToken);

        var start = new ProcessStartInfo("bash", ["--noprofile", "--norc"])
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var bash = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        bash.StandardInput.Write("set -o pipefail\ncurl() { command curl -w '%{stderr}\\n@@status %{http_code}\\n' \"$@\"; }\n");
        return new ReadmeShell(bash, directory, baseAddress.TrimEnd('/'));
    }

    public async Task<CommandResult> RunAsync(string command, TimeSpan? timeout = null)
    {
        var n = ++_count;
        var (stdout, stderr) = (System.IO.Path.Combine(_directory, $"{n}.out"), System.IO.Path.Combine(_directory, $"{n}.err"));
        var text = command.Replace(ReadmeAddress, _baseAddress, StringComparison.Ordinal);
        await _bash.StandardInput.WriteAsync($"{{\n{text}\n}} >'{stdout}' 2>'{stderr}' </dev/null\necho \"@@end {n} $?\"\n");
        await _bash.StandardInput.FlushAsync();

        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await _bash.StandardOutput.ReadLineAsync(cancel.Token)
                ?? throw new InvalidOperationException($"bash ended while running:\n{command}");
            if (End().Match(line) is { Success: true } end && end.Groups[1].Value == n.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                var err = await File.ReadAllTextAsync(stderr);
                var statuses = Status().Matches(err).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
                return new CommandResult(command, int.Parse(end.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture),
                    await File.ReadAllTextAsync(stdout), Status().Replace(err, string.Empty).Trim(), statuses);
            }
        }
    }

    /// <summary>A variable of the session, e.g. the <c>ID</c> a README command set.</summary>
    public async Task<string> VariableAsync(string name) => (await RunAsync($"printf '%s' \"${name}\"")).Stdout;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _bash.StandardInput.WriteAsync("exit\n");
            _bash.StandardInput.Close();
            await _bash.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is IOException or TimeoutException)
        {
            _bash.Kill(entireProcessTree: true);
        }

        _bash.Dispose();
        Orleans.Flyte.Testing.ScratchDirectories.Delete(_directory);
    }

    [GeneratedRegex(@"^@@end (\d+) (\d+)$")]
    private static partial Regex End();

    [GeneratedRegex(@"\n?@@status (\d{3})\n?")]
    private static partial Regex Status();
}
