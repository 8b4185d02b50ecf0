using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Grains.Runners.Local;

/// <summary>
/// The work directory of one attempt, <c>{WorkRoot}/{AttemptId}</c>: what the task reads and writes, and what outlives
/// the runner (the pid of its process and its final status), so a restarted silo can tell a finished attempt from a
/// lost one.
/// </summary>
internal sealed class AttemptDirectory
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public AttemptDirectory(string workRoot, string attemptId)
    {
        // The id names a directory: it must not climb out of the work root or hide as a dot file.
        if (string.IsNullOrWhiteSpace(attemptId) || attemptId.StartsWith('.')
            || attemptId.IndexOfAny([.. Path.GetInvalidFileNameChars(), '/', '\\']) >= 0)
        {
            throw new ArgumentException($"'{attemptId}' cannot name an attempt directory.", nameof(attemptId));
        }

        FullPath = Path.GetFullPath(Path.Combine(workRoot, attemptId));
    }

    public string FullPath { get; }

    public string Inputs => Path.Combine(FullPath, "inputs.json");

    public string Outputs => Path.Combine(FullPath, "outputs.json");

    /// <summary>Where the task writes its file and directory outputs (<c>FLYTE_OUTPUT_DIR</c>).</summary>
    public string OutputDirectory => Path.Combine(FullPath, "out");

    public BoundedLog Stdout(int maxBytes) => new(Path.Combine(FullPath, "stdout.log"), maxBytes);

    public BoundedLog Stderr(int maxBytes) => new(Path.Combine(FullPath, "stderr.log"), maxBytes);

    public bool Exists => Directory.Exists(FullPath);

    private string StatusFile => Path.Combine(FullPath, "status.json");

    private string PidFile => Path.Combine(FullPath, "pid");

    public void Create() => Directory.CreateDirectory(FullPath);

    /// <summary>
    /// What the task wrote to <see cref="Outputs"/>, decoded as <see cref="File.ReadAllTextAsync(string, CancellationToken)"/>
    /// would; null when it wrote no such file. Reads at most a little more than <paramref name="maxBytes"/> (room for a
    /// byte order mark), so an outputs file of any size costs the silo no more than that, and one over the limit still
    /// reads as over it.
    /// </summary>
    public string? ReadOutputs(int maxBytes)
    {
        const int byteOrderMarkRoom = 4;
        if (SmallFile.ReadPrefix(Outputs, (int)Math.Min(maxBytes + byteOrderMarkRoom + 1L, Array.MaxLength)) is not { } bytes)
        {
            return null;
        }

        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>Written atomically, in the inode a reused directory brought for it when there is one (see
    /// <see cref="SpareDirectories"/>): that file is private to the runner, so it is written in place and renamed.</summary>
    /// <param name="reused">The directory is a spare: its reusable file is looked for (a new one has none, and a failed
    /// open costs an exception).</param>
    public void WritePid(ProcessIdentity process, bool reused)
    {
        var reusable = Path.Combine(FullPath, SpareDirectories.ReusableFile);
        if (reused && SmallFile.TryOverwriteExisting(reusable, process.ToString()))
        {
            File.Move(reusable, PidFile, overwrite: true);
            return;
        }

        WriteAtomically(PidFile, process.ToString(), overwrite: true);
    }

    public ProcessIdentity? ReadPid()
    {
        try
        {
            return ProcessIdentity.Parse(File.ReadAllText(PidFile));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Records the final status once: temp file then rename, so a reader never sees half of it, and never over an
    /// existing one, so the first final status stands for good. Returns the status that stands.
    /// </summary>
    /// <param name="processGone">The attempt's process has exited (or never started), so its pid file is of no more use:
    /// its inode becomes the temp file (or, when the task exited before its pid was read, the unused one a reused directory
    /// brought for the pid file). Creating a file costs an inode allocation, which on ext4 without a journal scans
    /// past every inode freed in the last minutes (up to about 1 ms here, where attempts come and go by the hundred per
    /// second); reusing one costs a rename. Never when claiming an attempt lost: the pid names what is to be killed.</param>
    public AttemptStatus WriteFinalStatus(AttemptStatus status, bool processGone = false)
    {
        string[] reuse = processGone ? [PidFile, Path.Combine(FullPath, SpareDirectories.ReusableFile)] : [];
        if (WriteAtomically(StatusFile, JsonSerializer.Serialize(status, s_json), overwrite: false, reuse))
        {
            return status;
        }

        return ReadFinalStatus() ?? status;
    }

    /// <summary>The recorded final status; null when there is none (or it cannot be read, which counts as none).</summary>
    public AttemptStatus? ReadFinalStatus()
    {
        try
        {
            var status = JsonSerializer.Deserialize<AttemptStatus>(File.ReadAllText(StatusFile), s_json);
            return status is { IsTerminal: true } ? status : null;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Removes what the task read and wrote, keeping the final status and the logs. Best effort: what cannot
    /// be removed (a file still open elsewhere) is left and logged.</summary>
    public void DeleteAllButStatusAndLogs(ILogger log)
    {
        try
        {
            foreach (var entry in new DirectoryInfo(FullPath).EnumerateFileSystemInfos())
            {
                if (entry.Name == Path.GetFileName(StatusFile) || entry.Name.StartsWith("stdout.log", StringComparison.Ordinal)
                    || entry.Name.StartsWith("stderr.log", StringComparison.Ordinal))
                {
                    continue;
                }

                if (entry is DirectoryInfo folder)
                {
                    folder.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.LogWarning(ex, "Could not clean up the work directory {Directory}", FullPath);
        }
    }

    /// <summary>Temp file then rename, so a reader never sees half of <paramref name="path"/>; without
    /// <paramref name="overwrite"/> the rename never replaces an existing file (atomically, see
    /// <see cref="SmallFile.MoveNoReplace"/>). False when it did not write for that reason.</summary>
    /// <param name="reuse">Files whose inode may serve as the temp file (the first there is moved, then overwritten in
    /// place); a new temp file when none is there.</param>
    private static bool WriteAtomically(string path, string content, bool overwrite, params ReadOnlySpan<string> reuse)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        foreach (var candidate in reuse)
        {
            if (SmallFile.TryMove(candidate, temp))
            {
                break;
            }
        }

        SmallFile.Overwrite(temp, content);
        if (overwrite)
        {
            File.Move(temp, path, overwrite: true);
            return true;
        }

        if (SmallFile.MoveNoReplace(temp, path))
        {
            return true;
        }

        File.Delete(temp);
        return false;
    }
}
