namespace Orleans.Flyte.Testing;

/// <summary>
/// Scratch folders for tests (work roots, markers, data directories). All of them live under one well-known root,
/// <c>$TMPDIR/orleans-flyte-tests</c>, in a folder named after the test process (<c>{pid}-{start time}</c>) that goes
/// when the process exits. A test process killed before it could clean up leaves its folder behind; the next test
/// process removes the folders of processes that no longer run (scripts/test names its run folders the same way).
/// </summary>
public static class ScratchDirectories
{
    private const int DeleteAttempts = 5;

    private static readonly Lazy<string> _processFolder = new(CreateProcessFolder, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The well-known root every test scratch folder is under.</summary>
    public static string Root => Path.Combine(Path.GetTempPath(), "orleans-flyte-tests");

    /// <summary>
    /// A new empty folder, mode 0755 like every folder above it (not 0700 like <see cref="Directory.CreateTempSubdirectory"/>,
    /// and whatever the umask), so the postgres user can reach a data directory inside it.
    /// </summary>
    public static string Create(string purpose)
    {
        var path = Path.Combine(_processFolder.Value, $"{purpose}-{Guid.NewGuid().ToString("N")[..8]}");
        CreateReachable(path);
        return path;
    }

    /// <summary>
    /// Deletes a folder and everything in it. A process of the test may still be writing there while it dies, so a
    /// failure is retried a few times and then left for the process folder's own removal, never failing the test.
    /// </summary>
    public static void Delete(string path)
    {
        for (var attempt = 1; attempt <= DeleteAttempts; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }

                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && attempt < DeleteAttempts)
            {
                Thread.Sleep(100 * attempt);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The folder name that identifies a running process: its pid and its start time in clock ticks since boot
    /// (field 22 of <c>/proc/{pid}/stat</c>), so a recycled pid never passes for the process that left a folder.
    /// Null when the process does not exist or <c>/proc</c> is not there.
    /// </summary>
    public static string? ProcessTag(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterName = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return $"{pid}-{afterName[19]}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string CreateProcessFolder()
    {
        RemoveFoldersOfEndedProcesses();
        var folder = Path.Combine(Root, ProcessTag(Environment.ProcessId) ?? $"{Environment.ProcessId}-0");
        CreateReachable(Root);
        CreateReachable(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Delete(folder);
        return folder;
    }

    /// <summary>Creates the folder and sets 0755 on it (a chmod, which the umask does not filter as it does mkdir).</summary>
    private static void CreateReachable(string path)
    {
        Directory.CreateDirectory(path);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        catch (UnauthorizedAccessException)
        {
            // Someone else's folder (the shared root made by another user): its mode is theirs to choose.
        }
    }

    /// <summary>Only folders named like ours whose process is gone: another test run's live folder is never touched.</summary>
    public static void RemoveFoldersOfEndedProcesses()
    {
        if (!Directory.Exists(Root) || ProcessTag(Environment.ProcessId) is null)
        {
            return; // without /proc a folder's owner cannot be told apart from a recycled pid: remove nothing
        }

        foreach (var folder in Directory.EnumerateDirectories(Root))
        {
            var name = Path.GetFileName(folder);
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || dash == name.Length - 1 || !int.TryParse(name.AsSpan(0, dash), out var pid) || !name[(dash + 1)..].All(char.IsAsciiDigit))
            {
                continue;
            }

            if (ProcessTag(pid) != name)
            {
                Delete(folder);
            }
        }
    }
}
