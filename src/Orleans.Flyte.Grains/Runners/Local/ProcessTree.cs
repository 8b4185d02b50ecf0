using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Orleans.Flyte.Grains.Runners.Local;

/// <summary>A process told apart from any later process that reuses its pid, by its start time.</summary>
/// <param name="StartTime">On Linux the start time in clock ticks since boot (<c>/proc/&lt;pid&gt;/stat</c> field 22), exact
/// and stable; elsewhere <see cref="Process.StartTime"/> in UTC ticks.</param>
internal readonly record struct ProcessIdentity(int Pid, string StartTime)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Pid} {StartTime}");

    public static ProcessIdentity? Parse(string text)
    {
        var parts = text.Trim().Split(' ', 2);
        return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0
            ? new ProcessIdentity(pid, parts[1])
            : null;
    }
}

/// <summary>
/// Finding and stopping the whole tree of processes a task started. Tasks are not put in a process group of their
/// own (<see cref="Process"/> cannot), so the tree is found by parent pid in <c>/proc</c>, and snapshotted before the
/// first signal: once a parent dies its children are re-parented and no longer look like part of the tree.
/// </summary>
internal static class ProcessTree
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    public static ProcessIdentity? Identify(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            return ReadStat(pid) is { } stat && stat.State != 'Z' ? new ProcessIdentity(pid, stat.StartTime) : null;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : new ProcessIdentity(pid, process.StartTime.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or Win32Exception)
        {
            return null;
        }
    }

    /// <summary>True while the process runs; a zombie (exited, not yet reaped) counts as gone.</summary>
    public static bool IsAlive(ProcessIdentity identity) => Identify(identity.Pid) == identity;

    /// <summary>
    /// SIGTERM to every process of the tree, up to <paramref name="grace"/> for the root to exit, then SIGKILL to
    /// whatever is left of the tree as it was and as it is now. Waits (bounded) for the root to be gone. Never throws
    /// for processes that vanish underway.
    /// </summary>
    public static async Task KillAsync(Process root, TimeSpan grace, TimeProvider clock)
    {
        if (!OperatingSystem.IsLinux())
        {
            // No /proc to find the tree by: the runtime's own tree kill, without a grace period.
            KillHard(root);
            await WaitForExitAsync(root, grace, clock);
            return;
        }

        // The pid is taken once: the monitor may dispose the Process object as soon as the root has exited.
        int rootPid;
        try
        {
            rootPid = root.Id;
        }
        catch (InvalidOperationException)
        {
            return;
        }

        var tree = Snapshot([rootPid]);
        if (tree.Count == 0)
        {
            return;
        }

        foreach (var process in tree)
        {
            Signal(process, SigTerm);
        }

        if (grace > TimeSpan.Zero)
        {
            await WaitForExitAsync(root, grace, clock);
        }

        // A well-behaved root waits for its children; whatever did not stop within the grace (or was forked since the
        // snapshot, below any process of it that still lives) is killed, so no part of an attempt outlives it.
        var leftovers = tree.Concat(Snapshot(tree.Where(IsAlive).Select(p => p.Pid))).Distinct().ToList();
        foreach (var process in leftovers)
        {
            Signal(process, SigKill);
        }

        KillHard(root);
        await WaitForExitAsync(root, grace > TimeSpan.Zero ? grace : TimeSpan.FromSeconds(5), clock);
    }

    /// <summary>The given processes that still run and all their descendants, roots first (Linux only; elsewhere just
    /// the roots).</summary>
    public static List<ProcessIdentity> Snapshot(IEnumerable<int> rootPids)
    {
        var result = new List<ProcessIdentity>();
        foreach (var pid in rootPids)
        {
            if (Identify(pid) is { } root)
            {
                result.Add(root);
            }
        }

        if (result.Count == 0 || !OperatingSystem.IsLinux())
        {
            return result;
        }

        var children = new Dictionary<int, List<ProcessIdentity>>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || ReadStat(pid) is not { } stat || stat.State == 'Z')
            {
                continue;
            }

            if (!children.TryGetValue(stat.ParentPid, out var list))
            {
                children[stat.ParentPid] = list = [];
            }

            list.Add(new ProcessIdentity(pid, stat.StartTime));
        }

        for (var i = 0; i < result.Count; i++)
        {
            if (children.TryGetValue(result[i].Pid, out var list))
            {
                result.AddRange(list.Where(c => !result.Contains(c)));
            }
        }

        return result;
    }

    private static async Task WaitForExitAsync(Process process, TimeSpan limit, TimeProvider clock)
    {
        try
        {
            await process.WaitForExitAsync().WaitAsync(limit, clock);
        }
        catch (TimeoutException)
        {
            // The caller escalates, or gives up waiting on a process stuck in the kernel.
        }
        catch (InvalidOperationException)
        {
            // Not a process this runtime can wait on any more: it is gone.
        }
    }

    private static void KillHard(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Exited already, or while we were killing it.
        }
    }

    /// <summary>Signals a process only if its pid still names the same process, never a later one reusing it.</summary>
    private static void Signal(ProcessIdentity process, int signal)
    {
        if (IsAlive(process))
        {
            _ = NativeMethods.Kill(process.Pid, signal);
        }
    }

    private static (char State, int ParentPid, string StartTime)? ReadStat(int pid)
    {
        string stat;
        try
        {
            stat = ReadProcFile($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid ... starttime ...": comm may hold spaces and parentheses, so parse after the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 >= stat.Length)
        {
            return null;
        }

        var fields = stat[(close + 2)..].Split(' ');
        return fields.Length > 19 && int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var parent)
            ? (fields[0][0], parent, fields[19])
            : null;
    }

    /// <summary>A small /proc file in one open, one read (the length /proc reports is 0, so it is read until it ends)
    /// and one close; <see cref="File.ReadAllText(string)"/> costs several times that per process started.</summary>
    private static string ReadProcFile(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Span<byte> buffer = stackalloc byte[1024];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = RandomAccess.Read(handle, buffer[length..], length)) > 0)
        {
            length += read;
        }

        return length < buffer.Length ? Encoding.UTF8.GetString(buffer[..length]) : File.ReadAllText(path);
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
