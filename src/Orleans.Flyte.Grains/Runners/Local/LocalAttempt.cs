using System.Diagnostics;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Grains.Runners.Local;

/// <summary>What <see cref="LocalProcessRunner"/> knows of one attempt: its directory, its process while it runs, its
/// status, and the publisher that carries its transitions to the sink. Each transition happens under one lock, so a
/// timeout, a terminate, the process's exit and the runner's shutdown may race in any order.</summary>
internal sealed class LocalAttempt(string id, AttemptDirectory directory, AttemptStatusPublisher publisher)
{
    private readonly Lock _gate = new();
    private AttemptStatus _status = new(id, AttemptPhase.Pending);
    private Process? _process;
    private ITimer? _timer;
    private (AttemptPhase Phase, string Reason)? _stop;
    private Lazy<Task>? _kill;
    private bool _finishing;
    private bool _quiet;

    public string Id { get; } = id;

    public AttemptDirectory Directory { get; } = directory;

    public AttemptStatusPublisher Publisher { get; } = publisher;

    public AttemptStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>Why the process is being stopped (timeout or terminate), which decides its final phase and error.</summary>
    public (AttemptPhase Phase, string Reason)? StopRequested
    {
        get
        {
            lock (_gate)
            {
                return _stop;
            }
        }
    }

    /// <summary>Set (before the attempt finishes) when its process ended and wrote nothing to stdout or stderr: its logs
    /// are known to be empty without looking on disk.</summary>
    public bool Quiet
    {
        get => Volatile.Read(ref _quiet);
        set => Volatile.Write(ref _quiet, value);
    }

    /// <summary>Set once the attempt is started, failed to start, or adopted from disk.</summary>
    public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set once its terminal status is in place.</summary>
    public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Started(Process process, AttemptStatus running)
    {
        lock (_gate)
        {
            _process = process;
            _status = running;
        }
    }

    public void LimitWith(ITimer timer)
    {
        lock (_gate)
        {
            _timer = timer;
        }
    }

    /// <summary>Records a stop reason (the first one stands) and starts <paramref name="kill"/> on the process, once. Null
    /// when there is nothing (left) to kill.</summary>
    public Task? RequestStop(AttemptPhase phase, string reason, Func<Process, Task> kill)
    {
        Lazy<Task> killing;
        lock (_gate)
        {
            if (_status.IsTerminal || _process is not { } process)
            {
                return null;
            }

            _stop ??= (phase, reason);
            killing = _kill ??= new Lazy<Task>(() => kill(process));
        }

        return killing.Value;
    }

    /// <summary>True for the one caller that may finish the attempt; its timer is stopped.</summary>
    public bool TryBeginFinishing()
    {
        lock (_gate)
        {
            if (_finishing)
            {
                return false;
            }

            _finishing = true;
            _timer?.Dispose();
            return true;
        }
    }

    /// <summary>Puts the terminal status in place and lets go of the process.</summary>
    public void SetFinal(AttemptStatus status)
    {
        Process? process;
        lock (_gate)
        {
            _finishing = true;
            _status = status;
            process = _process;
            _process = null;
        }

        process?.Dispose();
        Finished.TrySetResult();
    }

    /// <summary>The process still to kill when the runner goes away, with the attempt's timer stopped; null when none.</summary>
    public Process? Abandon()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            return _status.IsTerminal ? null : _process;
        }
    }
}
