using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Executions;

/// <summary>The fold of one task node's events: its attempts, each with its own outcome.</summary>
[GenerateSerializer, Alias("flyte.TaskExecutionState")]
public sealed class TaskExecutionState : IEventSourcedState<TaskExecutionEvent>
{
    [Id(0)] public TaskQueued? Queued { get; private set; }
    [Id(1)] public TaskPhase Phase { get; private set; } = TaskPhase.NotReady;
    [Id(2)] public List<AttemptState> Attempts { get; private set; } = [];
    [Id(3)] public string? OutputsJson { get; private set; }
    [Id(4)] public string? Error { get; private set; }
    [Id(5)] public TaskCacheHit? CacheHit { get; private set; }
    [Id(6)] public DateTimeOffset? NextAttemptNotBefore { get; private set; }
    [Id(7)] public DateTimeOffset? QueuedAt { get; private set; }
    [Id(8)] public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>The attempt waiting for its GPUs, if any.</summary>
    [Id(9)] public ResourcesRequested? PendingGpu { get; private set; }

    /// <summary>GPU leases by attempt number.</summary>
    [Id(10)] public Dictionary<int, ResourcesGranted> Grants { get; private set; } = [];

    /// <summary>Attempts whose lease went back to the allocator.</summary>
    [Id(11)] public HashSet<int> ReleasedGrants { get; private set; } = [];

    [Id(12)] public DateTimeOffset? WaitingSince { get; private set; }

    /// <summary>Leases of attempts that have ended but were not yet given back (a crash in between).</summary>
    public IEnumerable<int> UnreleasedEndedGrants =>
        Grants.Keys.Where(a => !ReleasedGrants.Contains(a) && (Phase.IsTerminal() || Attempts.Find(x => x.Attempt == a)?.Outcome is not null));

    /// <summary>Whether <paramref name="attemptId"/> still needs its GPUs: waiting for them, or running with them.</summary>
    public bool Holds(string attemptId) =>
        !Phase.IsTerminal()
        && ((PendingGpu is { } pending && pending.AttemptId == attemptId)
            || Attempts.Exists(a => a.AttemptId == attemptId && a.Outcome is null));

    public bool Exists => Queued is not null;

    public AttemptState? Current => Attempts.Count == 0 ? null : Attempts[^1];

    public void Apply(TaskExecutionEvent @event)
    {
        switch (@event)
        {
            case TaskQueued e:
                Queued = e;
                Phase = TaskPhase.Queued;
                QueuedAt = e.Meta.At;
                break;
            case TaskCacheHit e:
                CacheHit = e;
                OutputsJson = e.OutputsJson;
                Phase = TaskPhase.Succeeded;
                FinishedAt = e.Meta.At;
                break;
            case ResourcesRequested e:
                PendingGpu = e;
                WaitingSince = e.Meta.At;
                NextAttemptNotBefore = null;
                Phase = TaskPhase.WaitingForResources;
                break;
            case ResourcesGranted e:
                Grants[e.Attempt] = e;
                break;
            case ResourcesReleased e:
                ReleasedGrants.Add(e.Attempt);
                break;
            case AttemptLaunched e:
                PendingGpu = null;
                WaitingSince = null;
                Attempts.Add(new AttemptState { Attempt = e.Attempt, AttemptId = e.AttemptId, LaunchedAt = e.Meta.At });
                NextAttemptNotBefore = null;
                Phase = TaskPhase.Initializing;
                break;
            case AttemptRunning e:
                Attempt(e.Attempt).Running(e.StartedAt);
                Phase = TaskPhase.Running;
                break;
            case AttemptSucceeded e:
                Attempt(e.Attempt).Finish(AttemptOutcome.Succeeded, null, null, e.Meta.At);
                OutputsJson = e.OutputsJson;
                Phase = TaskPhase.Succeeded;
                FinishedAt = e.Meta.At;
                break;
            case AttemptFailed e:
                Attempt(e.Attempt).Finish(
                    e.Kind switch
                    {
                        AttemptFailure.TimedOut => AttemptOutcome.TimedOut,
                        AttemptFailure.Lost => AttemptOutcome.Lost,
                        _ => AttemptOutcome.Failed,
                    },
                    e.Error,
                    e.ExitCode,
                    e.Meta.At);
                Error = e.Error;
                if (e.WillRetry)
                {
                    Phase = TaskPhase.RetryableFailed;
                }
                else
                {
                    Phase = e.Kind == AttemptFailure.TimedOut ? TaskPhase.TimedOut : TaskPhase.Failed;
                    FinishedAt = e.Meta.At;
                }

                break;
            case RetryScheduled e:
                NextAttemptNotBefore = e.NotBefore;
                break;
            case TaskAborted e:
                if (Current is { Outcome: null } running)
                {
                    running.Finish(AttemptOutcome.Aborted, e.Reason, null, e.Meta.At);
                }

                PendingGpu = null;
                Error = e.Reason;
                Phase = TaskPhase.Aborted;
                FinishedAt = e.Meta.At;
                break;
        }
    }

    private AttemptState Attempt(int attempt) => Attempts.First(a => a.Attempt == attempt);
}

[GenerateSerializer, Alias("flyte.AttemptOutcome")]
public enum AttemptOutcome
{
    Succeeded,
    Failed,
    TimedOut,
    Lost,
    Aborted,
}

[GenerateSerializer, Alias("flyte.AttemptState")]
public sealed class AttemptState
{
    [Id(0)] public required int Attempt { get; init; }
    [Id(1)] public required string AttemptId { get; init; }
    [Id(2)] public DateTimeOffset LaunchedAt { get; init; }
    [Id(3)] public DateTimeOffset? StartedAt { get; private set; }
    [Id(4)] public DateTimeOffset? FinishedAt { get; private set; }
    [Id(5)] public AttemptOutcome? Outcome { get; private set; }
    [Id(6)] public string? Error { get; private set; }
    [Id(7)] public int? ExitCode { get; private set; }

    internal void Running(DateTimeOffset at) => StartedAt ??= at;

    internal void Finish(AttemptOutcome outcome, string? error, int? exitCode, DateTimeOffset at)
    {
        Outcome = outcome;
        Error = error;
        ExitCode = exitCode;
        FinishedAt = at;
    }
}
