using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Grains.Runners.Local;

/// <summary>
/// The embedded default runner: each attempt is a local process, started without a shell in a fresh directory
/// <c>{WorkRoot}/{AttemptId}</c>. The container image is not used.
/// <para>What a task sees is the <see cref="TaskContract"/>: <c>FLYTE_INPUTS</c> is <c>inputs.json</c> in its directory,
/// <c>FLYTE_OUTPUTS</c> is <c>outputs.json</c> there (at most <see cref="LocalProcessRunnerOptions.MaxOutputBytes"/>), and
/// a GPU grant arrives as <c>CUDA_VISIBLE_DEVICES</c> / <c>NVIDIA_VISIBLE_DEVICES</c>; without one both are removed, so a
/// task never sees the silo's GPUs by inheritance. stdout and stderr go to <c>stdout.log</c> / <c>stderr.log</c> (the
/// tail, bounded). The process is started by <see cref="TaskProcess"/>, its tree killed by <see cref="ProcessTree"/>,
/// and what outlives the runner is kept by <see cref="AttemptDirectory"/>.</para>
/// <para>Idempotent per attempt id, and an attempt never runs twice at once. A local process dies with the silo that
/// owns it (or must be treated as if it did: nobody waits on it, captures its output or records its result any more),
/// so when an attempt's directory exists but this runner instance did not start it, the silo restarted under it:
/// the attempt is reported with the final status it recorded if it finished, and otherwise as
/// <see cref="AttemptPhase.Lost"/>, after killing its process tree if that somehow still runs (checked by pid
/// and start time, so a recycled pid is never killed). The engine retries a lost attempt under a new attempt id, and
/// killing first is what guarantees the old and the new never run side by side.</para>
/// </summary>
public sealed class LocalProcessRunner : ITaskRunner, IRunnerLoad, IDisposable, IAsyncDisposable
{
    internal const string LostError = "attempt was lost: its process ended with the silo that ran it";

    private const int StderrTailLines = 20;
    private const int StderrTailChars = 4000;

    /// <summary>At most this many released directories wait, emptied, for reuse (see <see cref="SpareDirectories"/>).</summary>
    private const int SpareDirectoryCapacity = 128;

    /// <summary>How long, after the process exited, its output may still take to drain: a background child that
    /// inherited the pipes can keep them open forever.</summary>
    private static readonly TimeSpan s_drainLimit = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, LocalAttempt> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _released = new();
    private readonly LocalProcessRunnerOptions _options;
    private readonly OutputsChannel _outputs;
    private readonly IAttemptStatusSink _sink;
    private readonly TimeProvider _clock;
    private readonly ILogger<LocalProcessRunner> _log;
    private readonly LocalArtifacts _artifacts;
    private readonly SpareDirectories _spares;
    private volatile bool _disposed;

    /// <param name="artifacts">Where file and directory values are kept; without one, a store beside the work root.</param>
    public LocalProcessRunner(
        IOptions<LocalProcessRunnerOptions> options, IAttemptStatusSink sink, TimeProvider clock, ILogger<LocalProcessRunner> log, ArtifactStore? artifacts = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _artifacts = new LocalArtifacts(artifacts ?? new ArtifactStore(new ArtifactStoreOptions { Root = Path.Combine(_options.WorkRoot, "..", "artifacts") }));
        _sink = sink;
        _clock = clock;
        _log = log;
        if (_options.MaxLogBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxLogBytes, "MaxLogBytes must be positive.");
        }

        if (_options.RetainAttemptDirectories < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.RetainAttemptDirectories, "RetainAttemptDirectories must be 0 or more.");
        }

        if (_options.MaxOutputBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxOutputBytes, "MaxOutputBytes must be positive.");
        }

        _outputs = new OutputsChannel("an outputs.json", "did not write outputs.json", _options.MaxOutputBytes);
        _spares = new SpareDirectories(_options.WorkRoot, SpareDirectoryCapacity, log);
    }

    public string RunnerName => "local";

    public int RunningAttempts => _attempts.Values.Count(a => !a.Status.IsTerminal);

    /// <inheritdoc />
    public async Task<AttemptStatus> LaunchAsync(AttemptLaunch launch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var candidate = NewAttempt(launch.AttemptId);
        var directory = candidate.Directory;
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
                // On the thread pool, not the caller's scheduler (a grain's, one turn at a time): the monitor and the log
                // captures started here keep the scheduler they start on, so every pipe read and the exit's file work
                // would otherwise queue behind, and hold up, the grain's own turns.
                await Task.Run(() => Start(attempt, launch), CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.LogError(ex, "Could not prepare attempt {AttemptId} in {Directory}", launch.AttemptId, directory.FullPath);
            Finish(attempt, Failed(launch.AttemptId, $"could not prepare the work directory {directory.FullPath}: {ex.Message}", null));
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
        if (_attempts.TryGetValue(attemptId, out var known))
        {
            if (known.Quiet)
            {
                return new AttemptLogs(attemptId, string.Empty, string.Empty, Truncated: false);
            }
        }
        else if (!directory.Exists)
        {
            return null;
        }

        var (stdout, stdoutTruncated) = await directory.Stdout(_options.MaxLogBytes).ReadAsync(cancellationToken);
        var (stderr, stderrTruncated) = await directory.Stderr(_options.MaxLogBytes).ReadAsync(cancellationToken);
        return new AttemptLogs(attemptId, stdout, stderr, stdoutTruncated || stderrTruncated);
    }

    /// <summary>
    /// The engine recorded the attempt's result and stored its log tail: its directory joins the released ones, and the
    /// oldest beyond <see cref="LocalProcessRunnerOptions.RetainAttemptDirectories"/> are removed (with what this runner
    /// remembers of them). Only finished attempts are released, so nothing removed is still running.
    /// </summary>
    public Task ReleaseAsync(string attemptId, CancellationToken cancellationToken = default)
    {
        if (_attempts.TryGetValue(attemptId, out var attempt) && !attempt.Status.IsTerminal)
        {
            return Task.CompletedTask; // not finished here (yet): keep it
        }

        _released.Enqueue(attemptId);
        while (_released.Count > _options.RetainAttemptDirectories && _released.TryDequeue(out var oldest))
        {
            _attempts.TryRemove(oldest, out _);
            try
            {
                var directory = new AttemptDirectory(_options.WorkRoot, oldest);
                if (directory.Exists)
                {
                    _spares.Retire(directory.FullPath);
                }
            }
            catch (ArgumentException ex)
            {
                _log.LogWarning(ex, "Attempt {AttemptId}: could not remove its work directory", oldest);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Kills every process still running, at once (no grace: a synchronous dispose cannot wait). Their
    /// attempts get no final status, so the next runner over this work root reports them lost and the engine retries.</summary>
    public void Dispose()
    {
        _disposed = true;
        _spares.Clear();
        foreach (var attempt in _attempts.Values)
        {
            try
            {
                attempt.Abandon()?.Kill(entireProcessTree: true);
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
        _spares.Clear();
        var kills = new List<Task>();
        foreach (var attempt in _attempts.Values)
        {
            if (attempt.Abandon() is { } process)
            {
                kills.Add(ProcessTree.KillAsync(process, _options.KillGrace, _clock));
            }
        }

        await Task.WhenAll(kills);
    }

    /// <summary>The attempt this runner knows, adopting it from disk if its directory is there; null when neither.</summary>
    private async Task<LocalAttempt?> FindAsync(string attemptId, CancellationToken cancellationToken)
    {
        if (!_attempts.TryGetValue(attemptId, out var attempt))
        {
            var candidate = NewAttempt(attemptId);
            if (!candidate.Directory.Exists)
            {
                return null;
            }

            // Adoption goes through the same add as a launch, so a launch racing this call is never mistaken for a
            // lost attempt (and its process never killed as one).
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

    private void Start(LocalAttempt attempt, AttemptLaunch launch)
    {
        var id = launch.AttemptId;
        var directory = attempt.Directory;
        if (!TaskContract.TryParseInputs(launch.InputsJson, out var inputs, out var inputsError))
        {
            directory.Create();
            Finish(attempt, Failed(id, inputsError, null));
            return;
        }

        if (!_artifacts.TryPlaceInputs(inputs, launch, out var placed, out var placeError))
        {
            directory.Create();
            Finish(attempt, Failed(id, placeError, null) with { Permanent = true });
            return;
        }

        inputs = placed;
        var reused = _spares.Place(directory, inputs.ToJsonString());
        // Every task gets the folder $FLYTE_OUTPUT_DIR names (one that writes there without declaring file outputs is not
        // failed for it; nothing is collected from it). A reused directory keeps its emptied folder, so in steady state
        // this makes nothing (each directory made costs an inode allocation, see BoundedLog).
        Directory.CreateDirectory(directory.OutputDirectory);

        var command = launch.Command.Concat(launch.Args).ToList();
        if (command.Count == 0)
        {
            Finish(attempt, Failed(id, "the task has no command to run", null) with { Permanent = true });
            return;
        }

        if (!string.IsNullOrEmpty(launch.Image))
        {
            _log.LogDebug("Attempt {AttemptId}: image {Image} is ignored by the local process runner", id, launch.Image);
        }

        var started = _clock.GetUtcNow();
        Process process;
        try
        {
            process = TaskProcess.Start(launch, inputs, directory, command);
        }
        catch (Win32Exception ex)
        {
            // The executable is missing or not executable: the same command fails the same way on every attempt.
            Finish(attempt, Failed(id, $"could not start '{command[0]}': {ex.Message}", started) with { Permanent = true });
            return;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            Finish(attempt, Failed(id, $"could not start '{command[0]}': {ex.Message}", started));
            return;
        }

        if (ProcessTree.Identify(process.Id) is { } identity)
        {
            directory.WritePid(identity, reused);
        }

        var running = new AttemptStatus(id, AttemptPhase.Running, StartedAt: started);
        attempt.Started(process, running);

        _log.LogInformation("Attempt {AttemptId} started as process {Pid}: {Command}", id, process.Id, string.Join(' ', command));
        var captures = Task.WhenAll(
            directory.Stdout(_options.MaxLogBytes).CaptureAsync(process.StandardOutput.BaseStream),
            directory.Stderr(_options.MaxLogBytes).CaptureAsync(process.StandardError.BaseStream));

        if (launch.Timeout is { } timeout)
        {
            attempt.LimitWith(_clock.CreateTimer(_ => _ = RequestStop(attempt, AttemptPhase.TimedOut, $"timed out after {Describe(timeout)}"), null, timeout, Timeout.InfiniteTimeSpan));
        }

        attempt.Publisher.Publish(running);
        _ = MonitorAsync(attempt, launch, process, captures, started);
    }

    private async Task MonitorAsync(LocalAttempt attempt, AttemptLaunch launch, Process process, Task<bool[]> captures, DateTimeOffset started)
    {
        AttemptStatus outcome;
        try
        {
            await process.WaitForExitAsync();
            try
            {
                // Both streams ended without a byte: the logs are known empty, so reading them costs no look on disk.
                attempt.Quiet = (await captures.WaitAsync(s_drainLimit, _clock)).All(empty => empty);
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

        Finish(attempt, outcome);
    }

    private async Task<AttemptStatus> OutcomeAsync(LocalAttempt attempt, AttemptLaunch launch, int exitCode, DateTimeOffset started)
    {
        var id = launch.AttemptId;
        var finished = _clock.GetUtcNow();
        if (attempt.StopRequested is { } s)
        {
            return new AttemptStatus(id, s.Phase, exitCode, Error: s.Reason, StartedAt: started, FinishedAt: finished);
        }

        if (exitCode != 0)
        {
            var tail = await attempt.Directory.Stderr(_options.MaxLogBytes).TailAsync(StderrTailLines, StderrTailChars);
            var error = tail.Length == 0 ? $"exit code {exitCode} (nothing on stderr)" : $"exit code {exitCode}: {tail}";
            return new AttemptStatus(id, AttemptPhase.Failed, exitCode, Error: error, StartedAt: started, FinishedAt: finished);
        }

        var written = attempt.Directory.ReadOutputs(_outputs.MaxBytes);
        var declared = launch.OutputNames.Where(name => launch.ArtifactOutputs?.ContainsKey(name) != true).ToList();
        var verdict = TaskContract.ExitedZero(id, written, declared, _outputs, started, finished);
        return verdict.Phase == AttemptPhase.Succeeded
            ? await _artifacts.CollectOutputsAsync(verdict, launch, attempt.Directory.OutputDirectory)
            : verdict;
    }

    /// <summary>Records a stop reason and starts killing the tree, once. Null when there is nothing (left) to kill.</summary>
    private Task? RequestStop(LocalAttempt attempt, AttemptPhase phase, string reason) =>
        attempt.RequestStop(phase, reason, process => KillAsync(attempt.Id, process));

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
    private async Task RecoverAsync(LocalAttempt attempt)
    {
        var directory = attempt.Directory;
        if (directory.ReadFinalStatus() is { } final)
        {
            attempt.SetFinal(final);
            return;
        }

        // Lost is claimed durably before the kill: were another runner somehow still watching the process (two silos
        // sharing a work root), its record of the exit our kill causes cannot replace the verdict, as the first final
        // status stands. If that runner recorded a final status just before us, that one stands and nothing runs.
        var lost = new AttemptStatus(attempt.Id, AttemptPhase.Lost, Error: LostError, FinishedAt: _clock.GetUtcNow());
        var standing = directory.WriteFinalStatus(lost);
        if (standing.Phase == AttemptPhase.Lost && directory.ReadPid() is { } orphan && ProcessTree.IsAlive(orphan))
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

        attempt.SetFinal(standing);
    }

    /// <summary>The single way an attempt this runner started becomes terminal: durable first, then visible, then pushed.</summary>
    private void Finish(LocalAttempt attempt, AttemptStatus status)
    {
        if (!attempt.TryBeginFinishing())
        {
            return;
        }

        if (_disposed)
        {
            // Killed by shutdown, not finished: no final status, so the next runner reports the attempt lost.
            attempt.SetFinal(status with { Phase = AttemptPhase.Lost, Error = LostError });
            return;
        }

        try
        {
            status = attempt.Directory.WriteFinalStatus(status, processGone: true);
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

        attempt.SetFinal(status);
        _log.LogInformation("Attempt {AttemptId} {Phase} {Error}", attempt.Id, status.Phase, status.Error);
        attempt.Publisher.Publish(status);
    }

    private AttemptStatus Failed(string attemptId, string error, DateTimeOffset? started) =>
        new(attemptId, AttemptPhase.Failed, Error: error, StartedAt: started, FinishedAt: _clock.GetUtcNow());

    private LocalAttempt NewAttempt(string attemptId) =>
        new(attemptId, new AttemptDirectory(_options.WorkRoot, attemptId), new AttemptStatusPublisher(_sink, _log));

    private static string Describe(TimeSpan timeout) => timeout.ToString("c", CultureInfo.InvariantCulture);
}
