using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Grains.Runners.Local;

/// <summary>Starts the process of one attempt: its command without a shell, in its attempt directory, with the task
/// contract's environment over the silo's, stdin at EOF and stdout/stderr redirected for capture.</summary>
internal static class TaskProcess
{
    /// <summary>The started process. Throws <see cref="Win32Exception"/>, <see cref="InvalidOperationException"/> or
    /// <see cref="IOException"/> when it cannot start (a command not found on the task's PATH among them).</summary>
    public static Process Start(AttemptLaunch launch, JsonObject inputs, AttemptDirectory directory, IReadOnlyList<string> command)
    {
        var info = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = directory.FullPath,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        TaskContract.WriteEnvironment(info.Environment, launch, inputs, directory.Inputs, directory.Outputs, GpuVisibility.FromGrant, directory.OutputDirectory);
        info.FileName = ResolveExecutable(command[0], info.Environment)
            ?? throw new Win32Exception($"not found on PATH ({info.Environment["PATH"]})");

        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            throw;
        }

        // EOF on stdin rather than the silo's own.
        process.StandardInput.Close();
        return process;
    }

    /// <summary>The executable for <paramref name="command"/>: as given when it is a path, else the first match on the
    /// task's own PATH (which the spec's env may set), like a shell would find it.</summary>
    private static string? ResolveExecutable(string command, IDictionary<string, string?> env)
    {
        if (command.Contains('/', StringComparison.Ordinal) || Path.IsPathRooted(command) || OperatingSystem.IsWindows())
        {
            return command;
        }

        var path = env.TryGetValue("PATH", out var value) && !string.IsNullOrEmpty(value) ? value : "/usr/local/bin:/usr/bin:/bin";
        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, command);
            if (File.Exists(candidate)
                && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }

        return null;
    }
}
