using System.Diagnostics;
using System.Globalization;
using System.Text;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Housekeeping.Tests.Scripts;

/// <summary>A script of this checkout running as its own process, with the environment a test gives it.</summary>
internal sealed class ScriptProcess : IDisposable
{
    private static readonly TimeSpan _defaultTimeout = TimeSpan.FromMinutes(3);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();

    private ScriptProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    /// <param name="environment">Variables to set; a null value removes the variable the test process has.</param>
    public static ScriptProcess Start(string script, IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Checkout.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Checkout.Script(script));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        var process = new Process { StartInfo = startInfo };
        var started = new ScriptProcess(process);
        process.OutputDataReceived += (_, e) => Append(started._output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(started._errors, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Runs a script to its end: its exit code, what it printed on stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(
        string script, IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        using var process = Start(script, environment, arguments);
        var exitCode = await process.WaitForExitAsync(_defaultTimeout);
        return (exitCode, process.Output, process.Errors);
    }

    /// <summary>Waits for the script to end and for its output to close (a process it left running would keep it open).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException(
                $"Waited {timeout} for {_process.StartInfo.ArgumentList[0]} to exit (or for whatever it started to close its output).{Environment.NewLine}" +
                $"stdout:{Environment.NewLine}{Output}{Environment.NewLine}stderr:{Environment.NewLine}{Errors}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends a signal the way a terminal or a supervisor would (<c>kill -s TERM</c>).</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (text)
        {
            text.AppendLine(line);
        }
    }
}
