using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Orleans.Flyte.Grains.Runners;

public sealed class LocalProcessRunnerOptions
{
    public const string Section = "Flyte:Runners:Local";

    /// <summary>One directory per attempt is created below it.</summary>
    public string WorkRoot { get; set; } = Path.Combine(Path.GetTempPath(), "orleans-flyte", "attempts");

    /// <summary>At most this much of stdout and of stderr is kept per attempt.</summary>
    public int MaxLogBytes { get; set; } = 1024 * 1024;
}

/// <summary>
/// The embedded default runner: each attempt is a local process, run without a shell in its own directory.
/// <para>The contract a task sees: <c>FLYTE_INPUTS</c> is the path of a JSON object with its inputs (also given one
/// by one as <c>FLYTE_INPUT_&lt;NAME&gt;</c>: strings as they are, other values as JSON); it writes its outputs as one
/// JSON object to the path in <c>FLYTE_OUTPUTS</c>; exit code 0 means success. GPU grants arrive as
/// <c>CUDA_VISIBLE_DEVICES</c> / <c>NVIDIA_VISIBLE_DEVICES</c>.</para>
/// <para>Idempotent per attempt id. A local process cannot outlive the silo that owns it cleanly, so an attempt whose
/// directory exists but which this runner instance did not start (the silo restarted) is reported
/// <see cref="AttemptPhase.Lost"/> — after killing its process if it is somehow still running — unless it had
/// finished and left its final status behind. The engine then retries it as a new attempt, so no attempt ever runs
/// twice at once.</para>
/// </summary>
public sealed class LocalProcessRunner(
    IOptions<LocalProcessRunnerOptions> options,
    IAttemptStatusSink sink,
    TimeProvider clock,
    ILogger<LocalProcessRunner> log) : ITaskRunner, IDisposable
{
    private const string InputsFile = "inputs.json";
    private const string OutputsFile = "outputs.json";
    private const string StatusFile = "status.json";
    private const string PidFile = "pid";
    private const string StdoutFile = "stdout.log";
    private const string StderrFile = "stderr.log";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentDictionary<string, Attempt> _attempts = new(StringComparer.Ordinal);
    private volatile bool _shuttingDown;

    private string WorkRoot => options.Value.WorkRoot;

    public Task<AttemptStatus> LaunchAsync(AttemptLaunch launch, CancellationToken cancellationToken = default)
    {
        if (_attempts.TryGetValue(launch.AttemptId, out var known))
        {
            return Task.FromResult(known.Status);
        }

        var directory = Directory(launch.AttemptId);
        if (System.IO.Directory.Exists(directory))
        {
            return Task.FromResult(Recovered(launch.AttemptId, directory));
        }

        var attempt = new Attempt(launch, directory);
        if (!_attempts.TryAdd(launch.AttemptId, attempt))
        {
            return Task.FromResult(_attempts[launch.AttemptId].Status);
        }

        lock (attempt)
        {
            Start(attempt);
        }

        Publish(attempt.Status);
        return Task.FromResult(attempt.Status);
    }

    public Task<AttemptStatus> GetStatusAsync(string attemptId, CancellationToken cancellationToken = default)
    {
        if (_attempts.TryGetValue(attemptId, out var known))
        {
            return Task.FromResult(known.Status);
        }

        var directory = Directory(attemptId);
        return Task.FromResult(System.IO.Directory.Exists(directory) ? Recovered(attemptId, directory) : new AttemptStatus(attemptId, AttemptPhase.Unknown));
    }

    public async Task TerminateAsync(string attemptId, string reason, CancellationToken cancellationToken = default)
    {
        if (!_attempts.TryGetValue(attemptId, out var attempt))
        {
            KillOrphan(Directory(attemptId));
            return;
        }

        Process? process;
        lock (attempt)
        {
            if (attempt.Status.IsTerminal)
            {
                return;
            }

            attempt.StopReason = (AttemptPhase.Terminated, reason);
            process = attempt.Process;
        }

        Kill(process);
        await attempt.Exited.Task.WaitAsync(cancellationToken);
    }

    public async Task<AttemptLogs?> GetLogsAsync(string attemptId, CancellationToken cancellationToken = default)
    {
        var directory = Directory(attemptId);
        if (!System.IO.Directory.Exists(directory))
        {
            return null;
        }

        if (_attempts.TryGetValue(attemptId, out var attempt))
        {
            await attempt.LogsWritten.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }

        var (stdout, outTruncated) = await ReadLog(Path.Combine(directory, StdoutFile), cancellationToken);
        var (stderr, errTruncated) = await ReadLog(Path.Combine(directory, StderrFile), cancellationToken);
        return new AttemptLogs(attemptId, stdout, stderr, outTruncated || errTruncated);
    }

    public void Dispose()
    {
        // A local process must not outlive its silo. Its attempt gets no final status (it did not fail on its own):
        // the next silo finds it without one, reports it lost, and the engine retries it.
        _shuttingDown = true;
        foreach (var attempt in _attempts.Values)
        {
            Kill(attempt.Process);
        }
    }

    private void Start(Attempt attempt)
    {
        var launch = attempt.Launch;
        System.IO.Directory.CreateDirectory(attempt.Directory);
        var inputsPath = Path.Combine(attempt.Directory, InputsFile);
        var inputs = JsonNode.Parse(launch.InputsJson) as JsonObject ?? [];
        File.WriteAllText(inputsPath, inputs.ToJsonString());

        var command = launch.Command.Concat(launch.Args).ToList();
        var info = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = attempt.Directory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        // Never hand the silo's own GPU visibility to a task: only a grant decides what it may use.
        info.Environment.Remove("CUDA_VISIBLE_DEVICES");
        info.Environment.Remove("NVIDIA_VISIBLE_DEVICES");
        foreach (var (key, value) in launch.Env)
        {
            info.Environment[key] = value;
        }

        foreach (var (name, value) in inputs)
        {
            info.Environment["FLYTE_INPUT_" + name.ToUpperInvariant()] =
                value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString() ?? string.Empty;
        }

        info.Environment["FLYTE_INPUTS"] = inputsPath;
        info.Environment["FLYTE_OUTPUTS"] = Path.Combine(attempt.Directory, OutputsFile);
        info.Environment["FLYTE_ATTEMPT_ID"] = launch.AttemptId;
        info.Environment["FLYTE_EXECUTION_ID"] = launch.ExecutionId;
        info.Environment["FLYTE_NODE_ID"] = launch.NodeId;
        info.Environment["FLYTE_ATTEMPT"] = launch.Attempt.ToString(CultureInfo.InvariantCulture);
        if (!launch.Gpu.IsEmpty)
        {
            var devices = string.Join(',', launch.Gpu.DeviceIds);
            info.Environment["CUDA_VISIBLE_DEVICES"] = devices;
            info.Environment["NVIDIA_VISIBLE_DEVICES"] = devices;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or FileNotFoundException)
        {
            process.Dispose();
            attempt.LogsWritten.TrySetResult();
            Finish(attempt, new AttemptStatus(launch.AttemptId, AttemptPhase.Failed, Error: $"could not start '{command[0]}': {ex.Message}",
                StartedAt: clock.GetUtcNow(), FinishedAt: clock.GetUtcNow()));
            return;
        }

        process.StandardInput.Close();
        attempt.Process = process;
        var started = clock.GetUtcNow();
        File.WriteAllText(Path.Combine(attempt.Directory, PidFile), $"{process.Id} {StartTicks(process.Id)}");
        attempt.Status = new AttemptStatus(launch.AttemptId, AttemptPhase.Running, StartedAt: started);
        log.LogDebug("Attempt {AttemptId} started as process {Pid} (image {Image} is not used by the local runner)", launch.AttemptId, process.Id, launch.Image);

        var max = options.Value.MaxLogBytes;
        var stdout = Capture(process.StandardOutput, Path.Combine(attempt.Directory, StdoutFile), max);
        var stderr = Capture(process.StandardError, Path.Combine(attempt.Directory, StderrFile), max);
        if (launch.Timeout is { } timeout)
        {
            attempt.Timer = clock.CreateTimer(
                _ =>
                {
                    lock (attempt)
                    {
                        if (attempt.Status.IsTerminal)
                        {
                            return;
                        }

                        attempt.StopReason = (AttemptPhase.TimedOut, $"timed out after {timeout}");
                    }

                    Kill(process);
                },
                null,
                timeout,
                Timeout.InfiniteTimeSpan);
        }

        _ = Task.Run(async () =>
        {
            await process.WaitForExitAsync();
            await Task.WhenAll(stdout, stderr);
            attempt.LogsWritten.TrySetResult();
            Finish(attempt, await Outcome(attempt, process.ExitCode, started));
        });
    }

    private async Task<AttemptStatus> Outcome(Attempt attempt, int exitCode, DateTimeOffset started)
    {
        var id = attempt.Launch.AttemptId;
        var finished = clock.GetUtcNow();
        (AttemptPhase Phase, string Reason)? stop;
        lock (attempt)
        {
            stop = attempt.StopReason;
        }

        if (stop is { } s)
        {
            return new AttemptStatus(id, s.Phase, exitCode, Error: s.Reason, StartedAt: started, FinishedAt: finished);
        }

        if (exitCode != 0)
        {
            var (stderr, _) = await ReadLog(Path.Combine(attempt.Directory, StderrFile), CancellationToken.None);
            var tail = string.Join('\n', stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(20));
            return new AttemptStatus(id, AttemptPhase.Failed, exitCode,
                Error: tail.Length == 0 ? $"exit code {exitCode}" : $"exit code {exitCode}: {tail}", StartedAt: started, FinishedAt: finished);
        }

        var outputsPath = Path.Combine(attempt.Directory, OutputsFile);
        var expected = attempt.Launch.OutputNames;
        if (!File.Exists(outputsPath))
        {
            return expected.Count == 0
                ? new AttemptStatus(id, AttemptPhase.Succeeded, 0, "{}", StartedAt: started, FinishedAt: finished)
                : Failed($"task exited 0 but did not write {OutputsFile} (expected outputs: {string.Join(", ", expected)})");
        }

        JsonObject? outputs;
        try
        {
            outputs = JsonNode.Parse(await File.ReadAllTextAsync(outputsPath)) as JsonObject;
        }
        catch (JsonException ex)
        {
            return Failed($"task exited 0 but {OutputsFile} is not valid JSON: {ex.Message}");
        }

        if (outputs is null)
        {
            return Failed($"task exited 0 but {OutputsFile} is not a JSON object of outputs");
        }

        var missing = expected.Where(n => !outputs.ContainsKey(n)).ToList();
        return missing.Count > 0
            ? Failed($"task exited 0 but {OutputsFile} lacks output{(missing.Count == 1 ? string.Empty : "s")} {string.Join(", ", missing)}")
            : new AttemptStatus(id, AttemptPhase.Succeeded, 0, outputs.ToJsonString(), StartedAt: started, FinishedAt: finished);

        AttemptStatus Failed(string error) => new(id, AttemptPhase.Failed, 0, Error: error, StartedAt: started, FinishedAt: finished);
    }

    private void Finish(Attempt attempt, AttemptStatus status)
    {
        lock (attempt)
        {
            attempt.Status = status;
            attempt.Timer?.Dispose();
        }

        if (_shuttingDown)
        {
            attempt.Exited.TrySetResult();
            return;
        }

        try
        {
            // The final status outlives this runner: a restarted silo reads it instead of calling the attempt lost.
            var path = Path.Combine(attempt.Directory, StatusFile);
            File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(status, s_json));
            File.Move(path + ".tmp", path, overwrite: true);
        }
        catch (IOException ex)
        {
            log.LogWarning(ex, "Could not record the final status of attempt {AttemptId}", status.AttemptId);
        }

        attempt.Process?.Dispose();
        attempt.Exited.TrySetResult();
        Publish(status);
    }

    private void Publish(AttemptStatus status) => _ = Task.Run(async () =>
    {
        try
        {
            await sink.OnAttemptChangedAsync(status);
        }
        catch (Exception ex)
        {
            // The engine polls on its reminder, so a lost notification delays the transition, never loses it.
            log.LogWarning(ex, "Could not report {Phase} of attempt {AttemptId}", status.Phase, status.AttemptId);
        }
    });

    private AttemptStatus Recovered(string attemptId, string directory)
    {
        var statusPath = Path.Combine(directory, StatusFile);
        if (File.Exists(statusPath))
        {
            try
            {
                if (JsonSerializer.Deserialize<AttemptStatus>(File.ReadAllText(statusPath), s_json) is { } final)
                {
                    return final;
                }
            }
            catch (JsonException)
            {
                // An unreadable marker counts as no marker: the attempt is lost.
            }
        }

        KillOrphan(directory);
        return new AttemptStatus(attemptId, AttemptPhase.Lost, Error: "attempt was lost: its process ended with the silo that ran it");
    }

    /// <summary>Kills a process left by an earlier runner instance, if the pid still names that same process.</summary>
    private void KillOrphan(string directory)
    {
        var pidPath = Path.Combine(directory, PidFile);
        if (!File.Exists(pidPath))
        {
            return;
        }

        var parts = File.ReadAllText(pidPath).Split(' ');
        if (parts.Length == 2 && int.TryParse(parts[0], out var pid) && StartTicks(pid) is { } ticks
            && string.Equals(ticks, parts[1], StringComparison.Ordinal))
        {
            try
            {
                using var orphan = Process.GetProcessById(pid);
                log.LogWarning("Killing process {Pid} of a lost attempt in {Directory}", pid, directory);
                Kill(orphan);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }
    }

    /// <summary>The process start time in clock ticks since boot (Linux /proc), to tell a process from a later one reusing its pid.</summary>
    private static string? StartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields[19] : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void Kill(Process? process)
    {
        try
        {
            process?.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited already.
        }
        catch (Win32Exception)
        {
            // Exited while we were killing it.
        }
    }

    private static async Task Capture(StreamReader reader, string path, int maxBytes)
    {
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        var buffer = new char[8192];
        var written = 0L;
        var truncated = false;
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            if (written >= maxBytes)
            {
                truncated = true;
                continue; // keep draining so the process never blocks on a full pipe
            }

            var bytes = Encoding.UTF8.GetBytes(buffer, 0, read);
            var take = (int)Math.Min(bytes.Length, maxBytes - written);
            await file.WriteAsync(bytes.AsMemory(0, take));
            written += take;
            truncated |= take < bytes.Length;
        }

        if (truncated)
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes($"\n[truncated: only the first {maxBytes} bytes were kept]\n"));
        }
    }

    private static async Task<(string Text, bool Truncated)> ReadLog(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return (string.Empty, false);
        }

        var text = await File.ReadAllTextAsync(path, cancellationToken);
        return (text, text.Contains("[truncated: only the first", StringComparison.Ordinal));
    }

    private string Directory(string attemptId)
    {
        if (attemptId.Length == 0 || attemptId.IndexOfAny(['/', '\\']) >= 0 || attemptId.StartsWith('.'))
        {
            throw new ArgumentException($"'{attemptId}' is not a usable attempt id.", nameof(attemptId));
        }

        return Path.Combine(WorkRoot, attemptId);
    }

    private sealed class Attempt(AttemptLaunch launch, string directory)
    {
        public AttemptLaunch Launch { get; } = launch;

        public string Directory { get; } = directory;

        public AttemptStatus Status { get; set; } = new(launch.AttemptId, AttemptPhase.Pending);

        public Process? Process { get; set; }

        public ITimer? Timer { get; set; }

        public (AttemptPhase Phase, string Reason)? StopReason { get; set; }

        public TaskCompletionSource Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource LogsWritten { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
