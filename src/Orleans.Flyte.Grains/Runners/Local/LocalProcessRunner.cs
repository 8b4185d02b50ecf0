using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Grains.Runners.Local;

/// <summary>
/// The embedded default runner: each attempt is a local process, started without a shell in a fresh directory
/// <c>{WorkRoot}/{AttemptId}</c>. The container image is not used.
/// <para>What a task sees: <c>FLYTE_INPUTS</c> is the path of a JSON object with its inputs, also given one by one as
/// <c>FLYTE_INPUT_&lt;NAME&gt;</c> (strings as they are, other values as compact JSON); it writes its outputs as one JSON
/// object to the path in <c>FLYTE_OUTPUTS</c>; exit code 0 means success. <c>FLYTE_ATTEMPT_ID</c>,
/// <c>FLYTE_EXECUTION_ID</c>, <c>FLYTE_NODE_ID</c> and <c>FLYTE_ATTEMPT</c> say who it is. A GPU grant arrives as
/// <c>CUDA_VISIBLE_DEVICES</c> / <c>NVIDIA_VISIBLE_DEVICES</c>; without one both are removed, so a task never sees the
/// silo's GPUs by inheritance. stdout and stderr go to <c>stdout.log</c> / <c>stderr.log</c> (the tail, bounded).</para>
/// <para>Idempotent per attempt id, and an attempt never runs twice at once. A local process dies with the silo that
/// owns it (or must be treated as if it did: nobody waits on it, captures its output or records its result any more),
/// so when an attempt's directory exists but this runner instance did not start it, the silo restarted under it:
/// the attempt is reported with the final status it recorded if it finished, and otherwise as
/// <see cref="AttemptPhase.Lost"/>, after killing its process tree if that somehow still runs (checked by pid
/// and start time, so a recycled pid is never killed). The engine retries a lost attempt under a new attempt id, and
/// killing first is what guarantees the old and the new never run side by side.</para>
/// </summary>
public sealed class LocalProcessRunner : ITaskRunner, IDisposable, IAsyncDisposable
{
    internal const string LostError = "attempt was lost: its process ended with the silo that ran it";

    private const int StderrTailLines = 20;
    private const int StderrTailChars = 4000;

    /// <summary>How long, after the process exited, its output may still take to drain: a background child that
    /// inherited the pipes can keep them open forever.</summary>
    private static readonly TimeSpan s_drainLimit = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, Attempt> _attempts = new(StringComparer.Ordinal);
    private readonly LocalProcessRunnerOptions _options;
    private readonly IAttemptStatusSink _sink;
    private readonly TimeProvider _clock;
    private readonly ILogger<LocalProcessRunner> _log;
    private volatile bool _disposed;

    public LocalProcessRunner(IOptions<LocalProcessRunnerOptions> options, IAttemptStatusSink sink, TimeProvider clock, ILogger<LocalProcessRunner> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _sink = sink;
        _clock = clock;
        _log = log;
        if (_options.MaxLogBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxLogBytes, "MaxLogBytes must be positive.");
        }
    }

    /// <inheritdoc />
    public async Task<AttemptStatus> LaunchAsync(AttemptLaunch launch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var directory = new AttemptDirectory(_options.WorkRoot, launch.AttemptId);
        var candidate = new Attempt(launch.AttemptId, directory);
        var attempt = _attempts.GetOrAdd(launch.AttemptId, candidate);
        if (!ReferenceEquals(attempt, candidate))
        {
            await attempt.Ready.Task.WaitAsync(cancellationToken);
            return attempt.Status;
        }

        // The winner of the add prepares the attempt; the caller's token does not cut that short, or the attempt
        // would be left half started.
        try
        {
            if (directory.Exists)
            {
                await RecoverAsync(attempt);
            }
            else
            {
                await StartAsync(attempt, launch);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.LogError(ex, "Could not prepare attempt {AttemptId} in {Directory}", launch.AttemptId, directory.FullPath);
            await FinishAsync(attempt, Failed(launch.AttemptId, $"could not prepare the work directory {directory.FullPath}: {ex.Message}", null));
        }
        finally
        {
            attempt.Ready.TrySetResult();
        }

        return attempt.Status;
    }

    /// <inheritdoc />
    public async Task<AttemptStatus> GetStatusAsync(string attemptId, CancellationToken cancellationToken = default) =>
        await FindAsync(attemptId, cancellationToken) is { } attempt ? attempt.Status : new AttemptStatus(attemptId, AttemptPhase.Unknown);

    /// <summary>Kills the attempt's process tree (SIGTERM, then SIGKILL after <see cref="LocalProcessRunnerOptions.KillGrace"/>),
    /// waits until it has exited and its status is recorded as <see cref="AttemptPhase.Terminated"/> with
    /// <paramref name="reason"/> as the error. A no-op for unknown and finished attempts.</summary>
    public async Task TerminateAsync(string attemptId, string reason, CancellationToken cancellationToken = default)
    {
        if (await FindAsync(attemptId, cancellationToken) is not { } attempt)
        {
            return;
        }

        if (RequestStop(attempt, AttemptPhase.Terminated, reason) is { } killing)
        {
            await killing.WaitAsync(cancellationToken);
        }

        await attempt.Finished.Task.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<AttemptLogs?> GetLogsAsync(string attemptId, CancellationToken cancellationToken = default)
    {
        var directory = new AttemptDirectory(_options.WorkRoot, attemptId);
        if (!_attempts.ContainsKey(attemptId) && !directory.Exists)
        {
            return null;
        }

        var (stdout, stdoutTruncated) = await directory.Stdout(_options.MaxLogBytes).ReadAsync(cancellationToken);
        var (stderr, stderrTruncated) = await directory.Stderr(_options.MaxLogBytes).ReadAsync(cancellationToken);
        return new AttemptLogs(attemptId, stdout, stderr, stdoutTruncated || stderrTruncated);
    }

    /// <summary>Kills every process still running, at once (no grace: a synchronous dispose cannot wait). Their
    /// attempts get no final status, so the next runner over this work root reports them lost and the engine retries.</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (var attempt in _attempts.Values)
        {
            Process? process;
            lock (attempt.Gate)
            {
                process = attempt.Status.IsTerminal ? null : attempt.Process;
                attempt.Timer?.Dispose();
            }

            try
            {
                process?.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or Win32Exception)
            {
                // Exited meanwhile.
            }
        }
    }

    /// <summary>Like <see cref="Dispose"/>, but gives each process tree <see cref="LocalProcessRunnerOptions.KillGrace"/> to stop.</summary>
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        var kills = new List<Task>();
        foreach (var attempt in _attempts.Values)
        {
            Process? process;
            lock (attempt.Gate)
            {
                process = attempt.Status.IsTerminal ? null : attempt.Process;
                attempt.Timer?.Dispose();
            }

            if (process is not null)
            {
                kills.Add(ProcessTree.KillAsync(process, _options.KillGrace, _clock));
            }
        }

        await Task.WhenAll(kills);
    }

    /// <summary>The attempt this runner knows, adopting it from disk if its directory is there; null when neither.</summary>
    private async Task<Attempt?> FindAsync(string attemptId, CancellationToken cancellationToken)
    {
        if (!_attempts.TryGetValue(attemptId, out var attempt))
        {
            var directory = new AttemptDirectory(_options.WorkRoot, attemptId);
            if (!directory.Exists)
            {
                return null;
            }

            // Adoption goes through the same add as a launch, so a launch racing this call is never mistaken for a
            // lost attempt (and its process never killed as one).
            var candidate = new Attempt(attemptId, directory);
            attempt = _attempts.GetOrAdd(attemptId, candidate);
            if (ReferenceEquals(attempt, candidate))
            {
                try
                {
                    await RecoverAsync(attempt);
                }
                finally
                {
                    attempt.Ready.TrySetResult();
                }
            }
        }

        await attempt.Ready.Task.WaitAsync(cancellationToken);
        return attempt;
    }

    private async Task StartAsync(Attempt attempt, AttemptLaunch launch)
    {
        var id = launch.AttemptId;
        var directory = attempt.Directory;
        directory.Create();

        JsonObject inputs;
        try
        {
            inputs = JsonNode.Parse(string.IsNullOrWhiteSpace(launch.InputsJson) ? "{}" : launch.InputsJson) as JsonObject
                ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException ex)
        {
            await FinishAsync(attempt, Failed(id, $"the attempt's inputs are not a JSON object: {ex.Message}", null));
            return;
        }

        await File.WriteAllTextAsync(directory.Inputs, inputs.ToJsonString());

        var command = launch.Command.Concat(launch.Args).ToList();
        if (command.Count == 0)
        {
            await FinishAsync(attempt, Failed(id, "the task has no command to run", null));
            return;
        }

        var info = StartInfo(launch, inputs, directory, command);
        if (!string.IsNullOrEmpty(launch.Image))
        {
            _log.LogDebug("Attempt {AttemptId}: image {Image} is ignored by the local process runner", id, launch.Image);
        }

        var started = _clock.GetUtcNow();
        var process = new Process { StartInfo = info };
        try
        {
            if (ResolveExecutable(command[0], info.Environment) is not { } executable)
            {
                throw new Win32Exception($"not found on PATH ({info.Environment["PATH"]})");
            }

            info.FileName = executable;
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or IOException)
        {
            process.Dispose();
            await FinishAsync(attempt, Failed(id, $"could not start '{command[0]}': {ex.Message}", started));
            return;
        }

        // EOF on stdin rather than the silo's own.
        process.StandardInput.Close();
        if (ProcessTree.Identify(process.Id) is { } identity)
        {
            await directory.WritePidAsync(identity);
        }

        var running = new AttemptStatus(id, AttemptPhase.Running, StartedAt: started);
        lock (attempt.Gate)
        {
            attempt.Process = process;
            attempt.Status = running;
        }

        _log.LogInformation("Attempt {AttemptId} started as process {Pid}: {Command}", id, process.Id, string.Join(' ', command));
        var captures = Task.WhenAll(
            directory.Stdout(_options.MaxLogBytes).CaptureAsync(process.StandardOutput.BaseStream),
            directory.Stderr(_options.MaxLogBytes).CaptureAsync(process.StandardError.BaseStream));

        if (launch.Timeout is { } timeout)
        {
            var timer = _clock.CreateTimer(_ => _ = RequestStop(attempt, AttemptPhase.TimedOut, $"timed out after {Describe(timeout)}"), null, timeout, Timeout.InfiniteTimeSpan);
            lock (attempt.Gate)
            {
                attempt.Timer = timer;
            }
        }

        Publish(attempt, running);
        _ = MonitorAsync(attempt, launch, process, captures, started);
    }

    private static ProcessStartInfo StartInfo(AttemptLaunch launch, JsonObject inputs, AttemptDirectory directory, List<string> command)
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

        var env = info.Environment;
        foreach (var (key, value) in launch.Env)
        {
            env[key] = value;
        }

        foreach (var (name, value) in inputs)
        {
            env["FLYTE_INPUT_" + EnvName(name)] = value is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String
                ? scalar.GetValue<string>()
                : value?.ToJsonString() ?? "null";
        }

        env["FLYTE_INPUTS"] = directory.Inputs;
        env["FLYTE_OUTPUTS"] = directory.Outputs;
        env["FLYTE_ATTEMPT_ID"] = launch.AttemptId;
        env["FLYTE_EXECUTION_ID"] = launch.ExecutionId;
        env["FLYTE_NODE_ID"] = launch.NodeId;
        env["FLYTE_ATTEMPT"] = launch.Attempt.ToString(CultureInfo.InvariantCulture);

        // Only the grant decides which GPUs a task may use: never the silo's own visibility, nor the spec's env.
        if (launch.Gpu.IsEmpty)
        {
            env.Remove("CUDA_VISIBLE_DEVICES");
            env.Remove("NVIDIA_VISIBLE_DEVICES");
        }
        else
        {
            var devices = string.Join(',', launch.Gpu.DeviceIds);
            env["CUDA_VISIBLE_DEVICES"] = devices;
            env["NVIDIA_VISIBLE_DEVICES"] = devices;
        }

        return info;
    }

    private async Task MonitorAsync(Attempt attempt, AttemptLaunch launch, Process process, Task captures, DateTimeOffset started)
    {
        AttemptStatus outcome;
        try
        {
            await process.WaitForExitAsync();
            try
            {
                await captures.WaitAsync(s_drainLimit, _clock);
            }
            catch (TimeoutException)
            {
                _log.LogWarning("Attempt {AttemptId}: its process exited but something it started still holds its output open", launch.AttemptId);
            }

            outcome = await OutcomeAsync(attempt, launch, process.ExitCode, started);
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "Attempt {AttemptId}: lost track of its process", launch.AttemptId);
            outcome = Failed(launch.AttemptId, $"the runner lost track of the process: {ex.Message}", started);
        }

        await FinishAsync(attempt, outcome);
    }

    private async Task<AttemptStatus> OutcomeAsync(Attempt attempt, AttemptLaunch launch, int exitCode, DateTimeOffset started)
    {
        var id = launch.AttemptId;
        var finished = _clock.GetUtcNow();
        (AttemptPhase Phase, string Reason)? stop;
        lock (attempt.Gate)
        {
            stop = attempt.Stop;
        }

        if (stop is { } s)
        {
            return new AttemptStatus(id, s.Phase, exitCode, Error: s.Reason, StartedAt: started, FinishedAt: finished);
        }

        if (exitCode != 0)
        {
            var tail = await attempt.Directory.Stderr(_options.MaxLogBytes).TailAsync(StderrTailLines, StderrTailChars);
            var error = tail.Length == 0 ? $"exit code {exitCode} (nothing on stderr)" : $"exit code {exitCode}: {tail}";
            return new AttemptStatus(id, AttemptPhase.Failed, exitCode, Error: error, StartedAt: started, FinishedAt: finished);
        }

        var expected = launch.OutputNames;
        var outputsFile = Path.GetFileName(attempt.Directory.Outputs);
        var declared = $"expected outputs: {string.Join(", ", expected)}";
        string json;
        try
        {
            json = await File.ReadAllTextAsync(attempt.Directory.Outputs);
        }
        catch (FileNotFoundException)
        {
            return expected.Count == 0
                ? new AttemptStatus(id, AttemptPhase.Succeeded, 0, "{}", StartedAt: started, FinishedAt: finished)
                : ExitedZeroBut($"did not write {outputsFile} ({declared})");
        }

        JsonObject? outputs;
        try
        {
            outputs = JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException ex)
        {
            return ExitedZeroBut($"wrote an {outputsFile} that is not valid JSON ({ex.Message})");
        }

        if (outputs is null)
        {
            return ExitedZeroBut($"wrote an {outputsFile} that is not a JSON object of named outputs");
        }

        var missing = expected.Where(name => !outputs.ContainsKey(name)).ToList();
        return missing.Count > 0
            ? ExitedZeroBut($"its {outputsFile} lacks {(missing.Count == 1 ? "output" : "outputs")} {string.Join(", ", missing)} ({declared})")
            : new AttemptStatus(id, AttemptPhase.Succeeded, 0, outputs.ToJsonString(), StartedAt: started, FinishedAt: finished);

        AttemptStatus ExitedZeroBut(string what) =>
            new(id, AttemptPhase.Failed, 0, Error: $"task exited 0 but {what}", StartedAt: started, FinishedAt: finished);
    }

    /// <summary>Records a stop reason and starts killing the tree, once. Null when there is nothing (left) to kill.</summary>
    private Task? RequestStop(Attempt attempt, AttemptPhase phase, string reason)
    {
        Lazy<Task> kill;
        lock (attempt.Gate)
        {
            if (attempt.Status.IsTerminal || attempt.Process is not { } process)
            {
                return null;
            }

            attempt.Stop ??= (phase, reason);
            kill = attempt.Kill ??= new Lazy<Task>(() => KillAsync(attempt.Id, process));
        }

        return kill.Value;
    }

    private async Task KillAsync(string attemptId, Process process)
    {
        try
        {
            _log.LogInformation("Attempt {AttemptId}: killing process tree of {Pid}", attemptId, process.Id);
            await ProcessTree.KillAsync(process, _options.KillGrace, _clock);
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "Attempt {AttemptId}: could not kill its process tree", attemptId);
        }
    }

    /// <summary>Adopts an attempt this instance did not start, from what its directory holds (see the class remarks).</summary>
    private async Task RecoverAsync(Attempt attempt)
    {
        var directory = attempt.Directory;
        if (await directory.ReadFinalStatusAsync() is { } final)
        {
            SetFinal(attempt, final);
            return;
        }

        // Lost is claimed durably before the kill: were another runner somehow still watching the process (two silos
        // sharing a work root), its record of the exit our kill causes cannot replace the verdict, as the first final
        // status stands. If that runner recorded a final status just before us, that one stands and nothing runs.
        var lost = new AttemptStatus(attempt.Id, AttemptPhase.Lost, Error: LostError, FinishedAt: _clock.GetUtcNow());
        var standing = await directory.WriteFinalStatusAsync(lost);
        if (standing.Phase == AttemptPhase.Lost && await directory.ReadPidAsync() is { } orphan && ProcessTree.IsAlive(orphan))
        {
            _log.LogWarning("Attempt {AttemptId} was lost but its process {Pid} still runs: killing it so it never runs twice", attempt.Id, orphan.Pid);
            try
            {
                using var process = Process.GetProcessById(orphan.Pid);
                await ProcessTree.KillAsync(process, _options.KillGrace, _clock);
            }
            catch (ArgumentException)
            {
                // Gone meanwhile.
            }
        }

        SetFinal(attempt, standing);
    }

    /// <summary>The single way an attempt this runner started becomes terminal: durable first, then visible, then pushed.</summary>
    private async Task FinishAsync(Attempt attempt, AttemptStatus status)
    {
        lock (attempt.Gate)
        {
            if (attempt.Finishing)
            {
                return;
            }

            attempt.Finishing = true;
            attempt.Timer?.Dispose();
        }

        if (_disposed)
        {
            // Killed by shutdown, not finished: no final status, so the next runner reports the attempt lost.
            SetFinal(attempt, status with { Phase = AttemptPhase.Lost, Error = LostError });
            return;
        }

        try
        {
            status = await attempt.Directory.WriteFinalStatusAsync(status);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning(ex, "Attempt {AttemptId}: could not record its final status {Phase}", attempt.Id, status.Phase);
        }

        // Clean up before the status is visible, so whoever sees the attempt finished sees its final directory.
        if (!_options.KeepWorkDirectories)
        {
            attempt.Directory.DeleteAllButStatusAndLogs(_log);
        }

        SetFinal(attempt, status);
        _log.LogInformation("Attempt {AttemptId} {Phase} {Error}", attempt.Id, status.Phase, status.Error);
        Publish(attempt, status);
    }

    private static void SetFinal(Attempt attempt, AttemptStatus status)
    {
        Process? process;
        lock (attempt.Gate)
        {
            attempt.Finishing = true;
            attempt.Status = status;
            process = attempt.Process;
            attempt.Process = null;
        }

        process?.Dispose();
        attempt.Finished.TrySetResult();
    }

    /// <summary>Pushes a transition to the sink without waiting for it, after the attempt's earlier transitions, so the
    /// sink never sees Running after the terminal status of a task that ended at once.</summary>
    private void Publish(Attempt attempt, AttemptStatus status)
    {
        lock (attempt.Gate)
        {
            attempt.Published = PublishAfterAsync(attempt.Published, status);
        }
    }

    private async Task PublishAfterAsync(Task previous, AttemptStatus status)
    {
        // Never on the caller's thread: a slow sink must not hold up a launch or the process monitor.
        await previous.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        try
        {
            await _sink.OnAttemptChangedAsync(status);
        }
        catch (Exception ex)
        {
            // The engine also polls on its reminder: a lost notification delays the transition, never loses it.
            _log.LogWarning(ex, "Attempt {AttemptId}: could not report {Phase}", status.AttemptId, status.Phase);
        }
    }

    private AttemptStatus Failed(string attemptId, string error, DateTimeOffset? started) =>
        new(attemptId, AttemptPhase.Failed, Error: error, StartedAt: started, FinishedAt: _clock.GetUtcNow());

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

    /// <summary>Input names become env var names: upper-cased, anything but letters, digits and '_' as '_'.</summary>
    private static string EnvName(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.ToUpperInvariant())
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return builder.ToString();
    }

    private static string Describe(TimeSpan timeout) => timeout.ToString("c", CultureInfo.InvariantCulture);

    private sealed class Attempt(string id, AttemptDirectory directory)
    {
        public Lock Gate { get; } = new();

        public string Id { get; } = id;

        public AttemptDirectory Directory { get; } = directory;

        public AttemptStatus Status { get; set; } = new(id, AttemptPhase.Pending);

        public Process? Process { get; set; }

        public ITimer? Timer { get; set; }

        public (AttemptPhase Phase, string Reason)? Stop { get; set; }

        public Lazy<Task>? Kill { get; set; }

        public bool Finishing { get; set; }

        /// <summary>The last transition pushed to the sink; the next one goes after it.</summary>
        public Task Published { get; set; } = Task.CompletedTask;

        /// <summary>Set once the attempt is started, failed to start, or adopted from disk.</summary>
        public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Set once its terminal status is in place.</summary>
        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
