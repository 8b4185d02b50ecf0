using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Grains.Runners;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>
/// One node of one execution. Decides attempts, retries and timeouts; the runner does the work. The attempt
/// is recorded (<see cref="AttemptLaunched"/>) before the runner is asked, and the runner is idempotent per
/// attempt id, so replaying after a crash adopts the attempt or reports it lost — it never starts a twin.
/// </summary>
public sealed class TaskExecutionGrain(
    IEventStreamStore store,
    TimeProvider clock,
    ITaskRunner runner,
    TaskOutputCache cache,
    IOptions<ExecutionEngineOptions> options,
    ILogger<TaskExecutionGrain> log)
    : EventSourcedGrain<TaskExecutionState, TaskExecutionEvent>(store, clock), ITaskExecutionGrain
{
    /// <summary>
    /// Decisions read the tentative state: confirmed events plus those raised in this turn and not yet written.
    /// A turn raises several events before one write (one commit per step, not per event), and each decision
    /// must see the ones before it.
    /// </summary>
    private new TaskExecutionState State => TentativeState;

    private IGrainTimer? _progressTimer;
    private TaskSpec? _spec;

    private (string Project, string Domain, string ExecutionId, string NodeId) Key => ExecutionKeys.ParseTask(this.GetPrimaryKeyString());

    protected override StreamAddress Stream =>
        new(StreamAddress.TenantOf(Key.Project, Key.Domain), $"execution/{Key.ExecutionId}/{Key.NodeId}");

    private TaskSpec Spec => _spec ??= StoredSpec.Task(State.Queued!.TaskSpec);

    public async Task Start(StartTask command)
    {
        if (State.Phase != TaskPhase.NotReady)
        {
            return; // already queued, or aborted before it ever started
        }

        var spec = StoredSpec.Task(command.TaskSpec);
        var cacheKey = spec.Cache.Enabled
            ? TaskOutputCache.Key(command.Project, command.Domain, command.Task, spec.Cache.Version, command.InputsJson)
            : null;
        var queued = new TaskQueued(command.ExecutionId, command.NodeId, command.Project, command.Domain, command.Task, command.TaskSpec,
            command.InputsJson, cacheKey, command.OverwriteCache);

        var hit = cacheKey is not null && !command.OverwriteCache ? await cache.FindAsync(cacheKey) : null;
        RaiseEvent(Stamp(queued));
        if (hit is not null)
        {
            RaiseEvent(Stamp(new TaskCacheHit(hit.OutputsJson, hit.ExecutionId, hit.NodeId)));
            await ConfirmEvents();
            NotifyWorkflow();
            return;
        }

        // Queued and the first attempt in one write: one commit instead of two on the hot path.
        RaiseEvent(Stamp(new AttemptLaunched(1, AttemptId(1))));
        await ConfirmEvents();
        ScheduleProgress(TimeSpan.Zero);
    }

    public async Task<TaskExecutionView> Abort(string reason)
    {
        if (State.Phase.IsTerminal())
        {
            return View();
        }

        _progressTimer?.Dispose();
        var running = State.Current is { Outcome: null } current ? current.AttemptId : null;
        await Record(new TaskAborted(reason), reason);
        if (running is not null)
        {
            await runner.TerminateAsync(running, reason);
        }

        return View();
    }

    public Task OnAttemptStatus(AttemptStatus status) => Handle(status);

    public async Task<TaskExecutionView> Resume()
    {
        await Progress();
        return View();
    }

    public Task<TaskExecutionView?> Get() => Task.FromResult(State.Exists ? View() : null);

    public async Task<AttemptLogs?> GetLogs(int attempt)
    {
        var found = State.Attempts.Find(a => a.Attempt == attempt);
        return found is null ? null : await runner.GetLogsAsync(found.AttemptId);
    }

    /// <summary>Carries on from wherever the events left off. Safe to call any number of times.</summary>
    private async Task Progress()
    {
        if (!State.Exists)
        {
            return;
        }

        if (State.Phase.IsTerminal())
        {
            NotifyWorkflow();
            return;
        }

        if (State.Phase == TaskPhase.RetryableFailed)
        {
            var due = State.NextAttemptNotBefore ?? Clock.GetUtcNow();
            var wait = due - Clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                ScheduleProgress(wait);
                return;
            }

            var next = State.Current!.Attempt + 1;
            await Record(new AttemptLaunched(next, AttemptId(next)));
        }

        if (State.Current is { Outcome: null } current)
        {
            // Launch is idempotent: a new attempt starts; a known one is adopted; one lost with a crashed silo is reported lost.
            var status = await runner.LaunchAsync(Launch(current));
            await Handle(status);
        }
    }

    private async Task Handle(AttemptStatus status)
    {
        if (State.Current is not { Outcome: null } current
            || !string.Equals(current.AttemptId, status.AttemptId, StringComparison.Ordinal)
            || State.Phase.IsTerminal())
        {
            return; // stale, duplicate, or about an attempt already decided
        }

        switch (status.Phase)
        {
            case AttemptPhase.Running when current.StartedAt is null:
                // Not awaited: it rides along with the next write (Orleans batches pending events).
                RaiseEvent(Stamp(new AttemptRunning(current.Attempt, status.StartedAt ?? Clock.GetUtcNow())));
                break;
            case AttemptPhase.Succeeded:
                await Succeed(current, status.OutputsJson ?? "{}");
                break;
            case AttemptPhase.Failed or AttemptPhase.TimedOut or AttemptPhase.Lost or AttemptPhase.Terminated or AttemptPhase.Unknown:
                await Fail(current, status);
                break;
        }
    }

    private async Task Succeed(AttemptState attempt, string outputsJson)
    {
        await Record(new AttemptSucceeded(attempt.Attempt, outputsJson));
        if (State.Queued!.CacheKey is { } key)
        {
            try
            {
                await cache.PutAsync(key, outputsJson, Key.ExecutionId, Key.NodeId);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning(ex, "Could not store cached outputs of {Task}; later runs will miss the cache", this.GetPrimaryKeyString());
            }
        }

        NotifyWorkflow();
    }

    private async Task Fail(AttemptState attempt, AttemptStatus status)
    {
        var kind = status.Phase switch
        {
            AttemptPhase.TimedOut => AttemptFailure.TimedOut,
            AttemptPhase.Lost or AttemptPhase.Unknown => AttemptFailure.Lost,
            _ => AttemptFailure.Failed,
        };
        var error = status.Error ?? kind switch
        {
            AttemptFailure.Lost => "the attempt was lost: its process ended with the silo that ran it",
            AttemptFailure.TimedOut => $"the attempt did not finish within its timeout of {Spec.Timeout}",
            _ => status.ExitCode is { } code ? $"exit code {code}" : "the attempt failed",
        };

        // A timeout is the task's own verdict on its duration: retrying it would only wait as long again.
        var willRetry = kind != AttemptFailure.TimedOut && attempt.Attempt < Spec.Retries + 1;
        RaiseEvent(Stamp(new AttemptFailed(attempt.Attempt, kind, error, status.ExitCode, willRetry)));
        if (willRetry)
        {
            var delay = options.Value.RetryDelay(attempt.Attempt);
            RaiseEvent(Stamp(new RetryScheduled(attempt.Attempt + 1, Clock.GetUtcNow() + delay)));
            await ConfirmEvents();
            ScheduleProgress(delay);
            return;
        }

        await ConfirmEvents();
        NotifyWorkflow();
    }

    private void NotifyWorkflow()
    {
        var key = Key;
        var completion = new NodeCompletion(key.NodeId, State.Phase, State.OutputsJson, State.Error, State.CacheHit is not null);
        GrainFactory.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(key.Project, key.Domain, key.ExecutionId))
            .OnNodeCompleted(completion).Ignore();
    }

    private void ScheduleProgress(TimeSpan dueTime)
    {
        _progressTimer?.Dispose();
        _progressTimer = this.RegisterGrainTimer(
            static (grain, _) => grain.Progress(),
            this,
            new GrainTimerCreationOptions { DueTime = dueTime, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private string AttemptId(int attempt) => ExecutionKeys.Attempt(Key.Project, Key.Domain, Key.ExecutionId, Key.NodeId, attempt);

    private AttemptLaunch Launch(AttemptState attempt)
    {
        var spec = Spec;
        var queued = State.Queued!;
        return new AttemptLaunch(
            attempt.AttemptId,
            queued.Project,
            queued.Domain,
            queued.ExecutionId,
            queued.NodeId,
            attempt.Attempt,
            spec.Container.Image,
            spec.Container.Command,
            spec.Container.Args,
            spec.Container.Env,
            queued.InputsJson,
            [.. spec.Outputs.Keys],
            spec.Resources.Cpu?.ToString(),
            spec.Resources.Memory?.ToString(),
            GpuGrant.None,
            spec.Timeout);
    }

    private TaskExecutionView View() => new(
        Key.ExecutionId,
        Key.NodeId,
        State.Phase,
        State.OutputsJson,
        State.Error,
        State.CacheHit is not null,
        [.. State.Attempts.Select(a => new AttemptView(
            a.Attempt, a.AttemptId, a.Outcome?.ToString() ?? (a.StartedAt is null ? "Initializing" : "Running"),
            a.LaunchedAt, a.StartedAt, a.FinishedAt, a.Error, a.ExitCode))]);
}
