using Microsoft.Extensions.Options;

namespace Orleans.Flyte.Grains.Submissions;

/// <summary>Limits of <see cref="SubmissionAdmission"/> (<c>Flyte:Submissions</c>).</summary>
public sealed class SubmissionAdmissionOptions
{
    public const string Section = "Flyte:Submissions";

    /// <summary>Submissions this silo works on at once (resolve, compile, check, create). Enough to fill the event store's
    /// group commits; more only adds activations, placements and garbage that wait on the same two resources.</summary>
    public int MaxConcurrent { get; set; } = 128;

    /// <summary>Submissions of one caller that may wait for a turn; the next is answered 429 with a Retry-After.</summary>
    public int MaxWaitingPerCaller { get; set; } = 10_000;

    /// <summary>Submissions of all callers that may wait on this silo.</summary>
    public int MaxWaiting { get; set; } = 50_000;
}

/// <summary>
/// Admission of submissions on one silo: at most <see cref="SubmissionAdmissionOptions.MaxConcurrent"/> are worked on at
/// once, and the rest wait in one queue per caller, served round-robin. A sweep of ten thousand runs from one user then
/// costs another user's single submission one turn of the rotation, not the whole sweep; and an overloaded silo keeps a
/// bounded amount of work in flight instead of thousands of half-done grain calls (each a placement, an activation and
/// garbage to collect). A caller whose queue is full is refused at once, with how long its queue takes to drain.
/// Thread-safe; the lock covers only the bookkeeping.
/// </summary>
public sealed class SubmissionAdmission(IOptions<SubmissionAdmissionOptions> options, TimeProvider clock)
{
    private readonly SubmissionAdmissionOptions _options = Validated(options.Value);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, CallerQueue> _waiting = new(StringComparer.Ordinal);
    private readonly Queue<string> _rotation = new();
    private int _running;
    private int _waitingCount;

    // Turns handed out, counted per second: the drain rate behind a refusal's Retry-After.
    private long _windowStart;
    private int _inWindow;
    private double _lastRate;

    /// <summary>Submissions waiting for a turn on this silo (a gauge).</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waitingCount;
            }
        }
    }

    /// <summary>Submissions being worked on now.</summary>
    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _running;
            }
        }
    }

    /// <summary>
    /// A turn for <paramref name="caller"/>: at once when there is room and no one waits, else when the rotation reaches
    /// it. Dispose the turn when the submission is done (accepted or not). Refused, with a retry hint, when the caller's
    /// queue or the silo's is full. A wait that <paramref name="cancellationToken"/> ends (the request's deadline, its
    /// client gone) leaves the queue and throws <see cref="OperationCanceledException"/>: that submission never gets a turn.
    /// </summary>
    public ValueTask<Admitted> EnterAsync(string caller, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        cancellationToken.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_lock)
        {
            if (_running < _options.MaxConcurrent && _waitingCount == 0)
            {
                _running++;
                Counted();
                return ValueTask.FromResult(new Admitted(new Turn(this), TimeSpan.Zero, null));
            }

            _waiting.TryGetValue(caller, out var queue);
            var mine = queue?.Live ?? 0;
            if (mine >= _options.MaxWaitingPerCaller || _waitingCount >= _options.MaxWaiting)
            {
                return ValueTask.FromResult(new Admitted(null, TimeSpan.Zero, new Refusal(
                    mine >= _options.MaxWaitingPerCaller
                        ? $"{mine} of your submissions are already waiting on this server (the most one caller may have waiting is {_options.MaxWaitingPerCaller})."
                        : $"{_waitingCount} submissions are already waiting on this server (at most {_options.MaxWaiting}).",
                    DrainTime(mine >= _options.MaxWaitingPerCaller ? mine : _waitingCount))));
            }

            if (queue is null)
            {
                queue = new CallerQueue();
                _waiting[caller] = queue;
                _rotation.Enqueue(caller);
            }

            waiter = new Waiter(queue);
            queue.Items.Enqueue(waiter);
            queue.Live++;
            _waitingCount++;
        }

        return Waited(waiter, cancellationToken);
    }

    private async ValueTask<Admitted> Waited(Waiter waiter, CancellationToken cancellationToken)
    {
        var since = clock.GetTimestamp();
        using (cancellationToken.Register(static state =>
        {
            var (admission, waiting) = ((SubmissionAdmission, Waiter))state!;
            admission.Abandon(waiting);
        }, (this, waiter)))
        {
            var admitted = await waiter.Turn.Task.ConfigureAwait(false);
            return new Admitted(admitted, clock.GetElapsedTime(since), null);
        }
    }

    /// <summary>A wait given up: it stops counting as waiting at once; the rotation drops it when it comes to it.</summary>
    private void Abandon(Waiter waiter)
    {
        lock (_lock)
        {
            if (waiter.Handed || waiter.Gone)
            {
                return;
            }

            waiter.Gone = true;
            waiter.Queue.Live--;
            _waitingCount--;
        }

        waiter.Turn.TrySetCanceled();
    }

    /// <summary>A turn ends: the next caller in the rotation gets it (its queue goes to the back if more of it wait), or
    /// the slot frees. Waits given up on the way are dropped.</summary>
    private void Leave()
    {
        Waiter? next = null;
        lock (_lock)
        {
            while (next is null && _rotation.TryDequeue(out var caller))
            {
                var queue = _waiting[caller];
                while (queue.Items.TryDequeue(out var candidate))
                {
                    if (!candidate.Gone)
                    {
                        next = candidate;
                        break;
                    }
                }

                if (next is not null)
                {
                    next.Handed = true;
                    queue.Live--;
                    _waitingCount--;
                    Counted();
                }

                if (queue.Live > 0)
                {
                    _rotation.Enqueue(caller);
                }
                else
                {
                    queue.Items.Clear(); // only waits given up are left
                    _waiting.Remove(caller);
                }
            }

            if (next is null)
            {
                _running--;
            }
        }

        next?.Turn.SetResult(new Turn(this));
    }

    /// <summary>How long <paramref name="ahead"/> waiting submissions take at the rate turns were handed out lately: at
    /// least a second, at most a minute (a rate not yet measured counts as the concurrency per second).</summary>
    private TimeSpan DrainTime(int ahead)
    {
        var rate = _lastRate > 0 ? _lastRate : _options.MaxConcurrent;
        return TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(ahead / rate), 1, 60));
    }

    private void Counted()
    {
        var now = clock.GetTimestamp();
        var elapsed = clock.GetElapsedTime(_windowStart, now);
        if (_windowStart == 0 || elapsed >= TimeSpan.FromSeconds(1))
        {
            if (_windowStart != 0)
            {
                _lastRate = _inWindow / elapsed.TotalSeconds;
            }

            _windowStart = now;
            _inWindow = 0;
        }

        _inWindow++;
    }

    private static SubmissionAdmissionOptions Validated(SubmissionAdmissionOptions options)
    {
        if (options.MaxConcurrent < 1 || options.MaxWaitingPerCaller < 0 || options.MaxWaiting < options.MaxWaitingPerCaller)
        {
            throw new OptionsValidationException(SubmissionAdmissionOptions.Section, typeof(SubmissionAdmissionOptions),
                [$"{SubmissionAdmissionOptions.Section}: MaxConcurrent must be at least 1 (is {options.MaxConcurrent}), MaxWaitingPerCaller at least 0 (is {options.MaxWaitingPerCaller}) and MaxWaiting at least MaxWaitingPerCaller (is {options.MaxWaiting})."]);
        }

        return options;
    }

    /// <summary>One submission's turn; disposing it hands the turn on. Disposing twice hands on nothing more.</summary>
    public sealed class Turn(SubmissionAdmission admission) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                admission.Leave();
            }
        }
    }

    /// <summary>One caller's waits in order; <see cref="Live"/> counts those not given up.</summary>
    private sealed class CallerQueue
    {
        public Queue<Waiter> Items { get; } = new();

        public int Live { get; set; }
    }

    /// <summary>One waiting submission: handed a turn, or gone (its wait given up), never both.</summary>
    private sealed class Waiter(CallerQueue queue)
    {
        public CallerQueue Queue { get; } = queue;

        public TaskCompletionSource<Turn> Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Handed { get; set; }

        public bool Gone { get; set; }
    }

    /// <summary>Why a caller was not queued, and when its queue should have room again.</summary>
    public sealed record Refusal(string Message, TimeSpan RetryAfter);

    /// <summary>A turn (with how long it waited for it), or a refusal.</summary>
    public readonly record struct Admitted(Turn? Turn, TimeSpan Waited, Refusal? Refusal);
}
