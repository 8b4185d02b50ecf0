using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Orleans.Flyte.Grains.Runners.Local;

/// <summary>
/// Released attempt directories kept, emptied, for the next attempts, in a folder beside the work root
/// (<c>{WorkRoot}.spare</c>): a new attempt takes one (its <c>inputs.json</c> written, then renamed into place) instead of
/// making a directory and files, and its old <c>status.json</c> serves as the next pid file. Every inode an attempt
/// allocates and frees costs, on ext4 without a journal, a scan past the inodes freed in the last minutes (about 1 ms
/// each once attempts come and go by the hundred per second), so in steady state an attempt allocates none of its own.
/// A released directory leaves the work root at once, as when it was deleted; what the task left in it is deleted when
/// it is retired, <c>inputs.json</c> is overwritten whole (in place and cut to its new length, see <see cref="SmallFile"/>)
/// before the directory is placed, and the old <c>status.json</c>, which becomes the pid file only once the next task
/// runs, is blanked with zeros when retired, so a new attempt never sees what an earlier one read or wrote. Nothing is
/// truncated to zero: that frees the file's block and makes ext4 flush it at its next close, which cost more than
/// anything else the runner did per attempt.
/// </summary>
internal sealed class SpareDirectories
{
    /// <summary>Inside a spare, and in a placed directory until the pid is written: the inode that becomes the pid file.</summary>
    public const string ReusableFile = ".reusable";

    private const string InputsFile = "inputs.json";
    private const string StatusFile = "status.json";
    private const string OutputFolder = "out";

    private readonly ConcurrentQueue<string> _spares = new();
    private readonly string _root;
    private readonly int _capacity;
    private readonly ILogger _log;

    public SpareDirectories(string workRoot, int capacity, ILogger log)
    {
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workRoot)) + ".spare";
        _capacity = capacity;
        _log = log;
        TryDelete(_root); // an earlier runner's, which nobody knows the state of
    }

    /// <summary>Takes a released attempt's directory out of the work root: kept as a spare when it can be emptied,
    /// deleted otherwise (and when enough are kept).</summary>
    public void Retire(string directory)
    {
        if (_capacity == 0 || _spares.Count >= _capacity)
        {
            Delete(directory);
            return;
        }

        var spare = Path.Combine(_root, Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(_root);
            Directory.Move(directory, spare);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Delete(directory);
            return;
        }

        try
        {
            // A snapshot: what is renamed below must not come up again in the same listing.
            foreach (var entry in new DirectoryInfo(spare).GetFileSystemInfos())
            {
                switch (entry)
                {
                    case FileInfo { Name: InputsFile }:
                        break; // overwritten whole before the directory is placed
                    case FileInfo { Name: ReusableFile }:
                        SmallFile.Blank(entry.FullName);
                        break;
                    case FileInfo { Name: StatusFile }:
                        // It becomes the pid file only once the next task runs (its pid is not known before): blanked, so
                        // that task never reads the earlier attempt's status (and outputs) in it meanwhile.
                        SmallFile.Blank(entry.FullName);
                        File.Move(entry.FullName, Path.Combine(spare, ReusableFile), overwrite: true);
                        break;
                    case DirectoryInfo { Name: OutputFolder } folder:
                        // Kept, emptied: every attempt gets one, and a folder made again would cost its inode.
                        foreach (var inside in folder.GetFileSystemInfos())
                        {
                            if (inside is DirectoryInfo nested)
                            {
                                nested.Delete(recursive: true);
                            }
                            else
                            {
                                inside.Delete();
                            }
                        }

                        break;
                    case DirectoryInfo folder:
                        folder.Delete(recursive: true);
                        break;
                    default:
                        entry.Delete();
                        break;
                }
            }

            _spares.Enqueue(spare);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Delete(spare);
        }
    }

    /// <summary>Makes <paramref name="directory"/> with <c>inputs.json</c> holding <paramref name="inputsJson"/>: a spare
    /// renamed into place when there is one, so the directory appears whole; else a new one. True for a spare (which
    /// brings the <see cref="ReusableFile"/> for the pid).</summary>
    public bool Place(AttemptDirectory directory, string inputsJson)
    {
        while (_spares.TryDequeue(out var spare))
        {
            try
            {
                SmallFile.Overwrite(Path.Combine(spare, InputsFile), inputsJson);
                Directory.Move(spare, directory.FullPath);
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone (a newer runner over the same work root cleared the spares) or unusable: try the next, or make one.
                Delete(spare);
                if (directory.Exists)
                {
                    throw;
                }
            }
        }

        directory.Create();
        SmallFile.Overwrite(directory.Inputs, inputsJson);
        return false;
    }

    /// <summary>Removes the kept spares (the runner is going away).</summary>
    public void Clear()
    {
        while (_spares.TryDequeue(out _))
        {
        }

        TryDelete(_root);
    }

    private void Delete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning(ex, "Could not remove the attempt directory {Directory}", directory);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a spare left behind is an empty folder.
        }
    }
}
