using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Grains.Hosting;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>
/// One node of one execution. Decides attempts, retries and timeouts; the runner does the work. The attempt
/// is recorded (<see cref="AttemptLaunched"/>) before the runner is asked, and the runner is idempotent per
/// attempt id, so replaying after a crash adopts the attempt or reports it lost — it never starts a twin.
/// An attempt that needs GPUs first waits in the allocator's queue (<see cref="ResourcesRequested"/>); its lease is
/// recorded with its launch (<see cref="ResourcesGranted"/>) and given back on every way the attempt can end.
/// </summary>
public sealed class TaskExecutionGrain(
    IEventStreamStore store,
    TimeProvider clock,
    ITaskRunner runner,
    TaskOutputCache cache,
    AttemptLogArchive logArchive,
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
    private GpuLeaseStatus? _lastGpuAnswer;

    /// <summary>When the execution was accepted, for a first-wave node (metrics only; not kept across activations).</summary>
    private DateTimeOffset? _submittedAt;

    private (string Project, string Domain, string ExecutionId, string NodeId) Key => ExecutionKeys.ParseTask(this.GetPrimaryKeyString());

    protected override StreamAddress Stream =>
        new(StreamAddress.TenantOf(Key.Project, Key.Domain), $"execution/{Key.ExecutionId}/{Key.NodeId}");

    /// <summary>Steps no one asked for (the runner's status, retries) act for whoever the run was queued for.</summary>
    protected override string? ActingFor => State.Queued?.Meta.Responsible;

    private TaskSpec Spec => _spec ??= StoredSpec.Task(State.Queued!.TaskSpec);

    public async Task Start(StartTask command)
    {
        if (State.Phase != TaskPhase.NotReady)
        {
            return; // already queued, or aborted before it ever started
        }

        _submittedAt = command.SubmittedAt;
        var spec = StoredSpec.Task(command.TaskSpec);
        var cacheKey = spec.Cache.Enabled
            ? TaskOutputCache.Key(command.Project, command.Domain, command.Task, spec.Cache.Version, command.InputsJson)
            : null;
        var queued = new TaskQueued(command.ExecutionId, command.NodeId, command.Project, command.Domain, command.Task, command.TaskSpec,
            command.InputsJson, cacheKey, command.OverwriteCache, command.Priority);

        // Queued and the first attempt (or the cache hit) in one write: one commit instead of two on the hot path. The
        // write is conditional because the workflow starts a node it has just made ready without this grain reading its
        // stream first (NewStreams): if the stream exists after all, nothing is written and the call finds it started.
        var hit = cacheKey is not null && !command.OverwriteCache ? await cache.FindAsync(cacheKey) : null;
        var started = await DecideAndRecord(state => state.Phase != TaskPhase.NotReady
            ? Decision<TaskExecutionEvent, bool>.Unchanged(false)
            : Decision<TaskExecutionEvent, bool>.Record(true, hit is not null
                ? [queued, new TaskCacheHit(hit.OutputsJson, hit.ExecutionId, hit.NodeId)]
                : [queued, NextAttempt(spec, 1)]));
        if (!started)
        {
            return;
        }

        if (hit is not null)
        {
            NotifyWorkflow();
            return;
        }

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
        var waiting = State.PendingGpu?.AttemptId;
        await Record(new TaskAborted(reason), reason);
        if (running is not null)
        {
            await runner.TerminateAsync(running, reason);
            await ArchiveAndRelease(running);
        }

        if (waiting is not null)
        {
            await Allocator.Release(waiting, $"aborted: {reason}");
        }

        await ReleaseEndedLeases(reason);
        return View();
    }

    public Task OnGpuGranted(string attemptId) =>
        State.PendingGpu?.AttemptId == attemptId ? Progress() : Task.CompletedTask;

    public Task<bool> HoldsAttempt(string attemptId) => Task.FromResult(State.Holds(attemptId));

    public Task OnAttemptStatus(AttemptStatus status) => Handle(status);

    public async Task<TaskExecutionView> Resume()
    {
        await Progress();
        return View();
    }

    public async Task<TaskExecutionView?> Get()
    {
        if (!State.Exists)
        {
            return null;
        }

        if (State.PendingGpu is { } pending && State.Phase == TaskPhase.WaitingForResources)
        {
            // A read of the allocator's durable state (interleaving), so the reason and queue position are current.
            _lastGpuAnswer = await Allocator.GetStatus(pending.AttemptId);
        }

        return View();
    }

    public async Task<AttemptLogs?> GetLogs(int attempt)
    {
        var found = State.Attempts.Find(a => a.Attempt == attempt);
        if (found is null)
        {
            return null;
        }

        return await runner.GetLogsAsync(found.AttemptId) ?? await logArchive.FindAsync(found.AttemptId);
    }

    /// <summary>
    /// After an attempt's result is durable: keep its log tail in the store, then let the runner drop its copy (the local
    /// runner's work directory). Best effort: if the tail cannot be stored, the runner keeps its copy.
    /// </summary>
    private async Task ArchiveAndRelease(string attemptId)
    {
        try
        {
            if (await runner.GetLogsAsync(attemptId) is { } logs)
            {
                await logArchive.PutAsync(logs, options.Value.LogTailChars);
            }

            await runner.ReleaseAsync(attemptId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "Attempt {AttemptId}: could not store its log tail; the runner keeps its copy", attemptId);
        }
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
            await ReleaseEndedLeases("the task has ended");
            NotifyWorkflow();
            return;
        }

        if (State.Phase == TaskPhase.RetryableFailed)
        {
            await ReleaseEndedLeases("the attempt has ended");
            var due = State.NextAttemptNotBefore ?? Clock.GetUtcNow();
            var wait = due - Clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                ScheduleProgress(wait);
                return;
            }

            await Record(NextAttempt(Spec, State.Current!.Attempt + 1));
        }

        if (State.PendingGpu is { } pending && !await AcquireGpu(pending))
        {
            return; // still waiting: the allocator tells us when it grants, and the workflow's reminder re-asks
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

        if (status.Phase is not AttemptPhase.Running && current.StartedAt is null && status.StartedAt is { } startedAt)
        {
            // An end heard before the start (a task quicker than the report that it runs: the launch's own answer, or a
            // push, can already be final): the start it carries is recorded with the end, so the run still says when it ran.
            RaiseEvent(Stamp(new AttemptRunning(current.Attempt, startedAt)));
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
        await ReleaseEndedLeases("the attempt succeeded");
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
        await ArchiveAndRelease(attempt.AttemptId);
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

        // A timeout is the task's own verdict on its duration: retrying it would only wait as long again. A permanent
        // failure (missing executable, invalid image) fails the same way every time: retries are for what might pass.
        var willRetry = kind != AttemptFailure.TimedOut && !status.Permanent && attempt.Attempt < Spec.Retries + 1;
        if (status.Permanent && attempt.Attempt < Spec.Retries + 1)
        {
            error += "; not retried, as no retry can succeed: fix the task and register a new version";
        }

        RaiseEvent(Stamp(new AttemptFailed(attempt.Attempt, kind, error, status.ExitCode, willRetry)));
        if (willRetry)
        {
            var delay = options.Value.RetryDelay(attempt.Attempt);
            RaiseEvent(Stamp(new RetryScheduled(attempt.Attempt + 1, Clock.GetUtcNow() + delay)));
            await ConfirmEvents();
            await ReleaseEndedLeases($"attempt {attempt.Attempt} {kind.ToString().ToLowerInvariant()}");
            await ArchiveAndRelease(attempt.AttemptId);
            ScheduleProgress(delay);
            return;
        }

        await ConfirmEvents();
        await ReleaseEndedLeases($"attempt {attempt.Attempt} {kind.ToString().ToLowerInvariant()}");
        NotifyWorkflow();
        await ArchiveAndRelease(attempt.AttemptId);
    }

    private void NotifyWorkflow()
    {
        var key = Key;
        var completion = new NodeCompletion(key.NodeId, State.Phase, State.OutputsJson, State.Error, State.CacheHit is not null);
        GrainFactory.Get<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(key.Project, key.Domain, key.ExecutionId))
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
            Grant(attempt.Attempt) ?? GpuGrant.None,
            spec.Timeout,
            spec.Inputs.Where(p => p.Value.Type.CarriesArtifacts).ToDictionary(p => p.Key, p => p.Value.Type, StringComparer.Ordinal),
            spec.Outputs.Where(p => p.Value.Type.CarriesArtifacts).ToDictionary(p => p.Key, p => p.Value.Type, StringComparer.Ordinal));
    }

    /// <summary>The GPUs the allocator granted to an attempt, as the runner takes them; null when it has none.</summary>
    private GpuGrant? Grant(int attempt) =>
        State.Grants.TryGetValue(attempt, out var g) ? new GpuGrant(g.Node, g.UnitIds, g.ResourceName) : null;

    private IGpuAllocatorGrain Allocator => GrainFactory.Get<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key);

    /// <summary>A new attempt: straight to launch, or first to the GPU queue.</summary>
    private TaskExecutionEvent NextAttempt(TaskSpec spec, int attempt) =>
        spec.Resources.Gpu is { } gpu
            ? new ResourcesRequested(attempt, AttemptId(attempt), gpu.Profile, gpu.DeviceClass, gpu.Count)
            : new AttemptLaunched(attempt, AttemptId(attempt));

    /// <summary>Asks the allocator (idempotent per attempt); on a grant records it with the launch. True when launched.</summary>
    private async Task<bool> AcquireGpu(ResourcesRequested pending)
    {
        var queued = State.Queued!;
        var answer = await Allocator.Request(new GpuLeaseRequest(
            pending.AttemptId, queued.Project, queued.Domain, queued.ExecutionId, queued.NodeId, pending.Attempt,
            pending.Profile, pending.DeviceClass, pending.Count, queued.Priority));
        _lastGpuAnswer = answer;
        if (State.PendingGpu?.AttemptId != pending.AttemptId)
        {
            return false; // aborted while we asked; Abort withdrew the request
        }

        switch (answer.State)
        {
            case GpuLeaseState.Granted:
                RaiseEvent(Stamp(new ResourcesGranted(pending.Attempt, answer.Node!, answer.UnitIds ?? [], answer.ResourceName!)));
                RaiseEvent(Stamp(new AttemptLaunched(pending.Attempt, pending.AttemptId)));
                await ConfirmEvents();
                return true;
            case GpuLeaseState.Waiting:
                return false;
            default:
                // The allocator no longer has the request (withdrawn by reconciliation in a race): this attempt is
                // lost and a fresh one, with a fresh request, follows if retries allow.
                log.LogWarning("GPU request {Attempt} was {State} ({How}); failing the attempt as lost", pending.AttemptId, answer.State, answer.Ended);
                await Record(new AttemptLaunched(pending.Attempt, pending.AttemptId));
                await Fail(State.Current!, new AttemptStatus(pending.AttemptId, AttemptPhase.Lost,
                    Error: $"its GPU request was withdrawn before it was granted ({answer.Ended ?? "unknown to the allocator"})"));
                return false;
        }
    }

    /// <summary>Gives back the leases of attempts that have ended. Idempotent; also repairs a crash between an
    /// attempt's end and its release.</summary>
    private async Task ReleaseEndedLeases(string reason)
    {
        foreach (var attempt in State.UnreleasedEndedGrants.ToList())
        {
            await Allocator.Release(AttemptId(attempt), reason);
            RaiseEvent(Stamp(new ResourcesReleased(attempt), reason));
        }

        await ConfirmEvents();
    }

    /// <summary>Counts launches (with how long the node and the execution waited for them) and ended attempts.</summary>
    protected override void OnRecorded(TaskExecutionState before, IReadOnlyList<TaskExecutionEvent> events)
    {
        if (Metrics is not { } metrics)
        {
            return;
        }

        var (project, domain) = (Key.Project, Key.Domain);
        foreach (var @event in events)
        {
            switch (@event)
            {
                case AttemptLaunched { Attempt: 1 } launched:
                    var queuedAt = before.Queued?.Meta.At ?? events.OfType<TaskQueued>().FirstOrDefault()?.Meta.At;
                    if (queuedAt is { } ready)
                    {
                        metrics.ReadyToLaunched(project, domain, launched.Meta.At - ready);
                    }

                    if (_submittedAt is { } submitted)
                    {
                        metrics.FirstWaveLaunched(project, domain, launched.Meta.At - submitted);
                        _submittedAt = null;
                    }

                    break;
                case AttemptSucceeded succeeded:
                    metrics.AttemptEnded(project, domain, "succeeded", retried: false, RunTime(succeeded.Attempt, succeeded.Meta.At));
                    break;
                case AttemptFailed failed:
                    metrics.AttemptEnded(project, domain, Observability.MetricLabels.Of(failed.Kind), failed.WillRetry, RunTime(failed.Attempt, failed.Meta.At));
                    break;
            }
        }

        TimeSpan? RunTime(int attempt, DateTimeOffset end) =>
            State.Attempts.Find(a => a.Attempt == attempt) is { } a ? end - (a.StartedAt ?? a.LaunchedAt) : null;
    }

    private TaskExecutionView View() => TaskExecutionViews.Of(
        Key.ExecutionId,
        Key.NodeId,
        State,
        State.PendingGpu is { } pending && _lastGpuAnswer?.RequestId == pending.AttemptId ? _lastGpuAnswer.Waiting : null);
}
