using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Grains.Observability;

/// <summary>
/// The engine's own metrics, as .NET instruments on one <see cref="Meter"/> per host (made by the host's
/// <see cref="IMeterFactory"/>, so two platforms in one process never mix figures). The engine does not know Prometheus: the
/// API exports these instruments (<c>MeterExport</c>) under exactly these names, which already follow Prometheus'
/// conventions (base units, <c>_total</c> for counters, <c>_seconds</c>). With no exporter listening, recording costs a
/// check per call.
/// <para>
/// Cardinality is bounded: labels are project, domain, phase, outcome, reason, resource, launch plan and runner; never an
/// execution or attempt id (only the scrape-time per-slice holder gauge names those, bounded by the number of slices).
/// Every call site is the one place its decision is recorded: after the events that say so are durable
/// (<c>EventSourcedGrain.OnRecorded</c>), or in the event store's transaction.
/// </para>
/// </summary>
public sealed class EngineMetrics
{
    /// <summary>Durations from milliseconds (a launch) to hours (a GPU wait, a training run).</summary>
    private static readonly double[] s_seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400];

    /// <summary>Appends per transaction: 1 without contention, up to the group commit's 256.</summary>
    private static readonly double[] s_batch = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    private readonly Meter _meter;
    private readonly Counter<long> _executionTransitions;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _submissionToLaunch;
    private readonly Histogram<double> _readyToLaunch;
    private readonly Histogram<double> _attemptDuration;
    private readonly Counter<long> _gpuDecisions;
    private readonly Counter<long> _gpuGrants;
    private readonly Counter<long> _gpuReleases;
    private readonly Histogram<double> _gpuWait;
    private readonly Counter<long> _fires;
    private readonly Counter<long> _skips;
    private readonly Counter<long> _buffered;
    private readonly Counter<long> _missed;
    private readonly Histogram<double> _lateness;
    private readonly Histogram<double> _appendDuration;
    private readonly Histogram<double> _appendBatch;
    private readonly Counter<long> _appendedEvents;
    private readonly Counter<long> _appendConflicts;
    private readonly Counter<long> _appendFailures;
    private readonly Histogram<double> _admissionWait;
    private readonly Counter<long> _submissionsRefused;

    public EngineMetrics(IMeterFactory meters, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(Abstractions.PlatformMeter.Name);
        _executionTransitions = _meter.CreateCounter<long>("flyte_execution_transitions_total", null, "Executions entering a phase, by project, domain and phase.");
        _attempts = _meter.CreateCounter<long>("flyte_task_attempts_total", null, "Task attempts that ended, by project, domain, outcome (succeeded, failed, timed_out, lost) and reason (retried, final).");
        _submissionToLaunch = Seconds("flyte_execution_submission_to_launch_seconds", "From an execution's acceptance to the launch of the first attempt of each node started with it (its first wave).");
        _readyToLaunch = Seconds("flyte_task_ready_to_launch_seconds", "From a node being ready (queued) to its first attempt's launch, GPU wait included.");
        _attemptDuration = Seconds("flyte_task_attempt_duration_seconds", "Run time of ended attempts, from running (or launch) to the end, by outcome.");
        _gpuDecisions = _meter.CreateCounter<long>("flyte_gpu_allocator_decisions_total", null, "Allocator decisions recorded: queued, granted, released, cancelled.");
        _gpuGrants = _meter.CreateCounter<long>("flyte_gpu_grants_total", null, "GPU leases granted, by resource (MIG profile, device class or gpu).");
        _gpuReleases = _meter.CreateCounter<long>("flyte_gpu_releases_total", null, "GPU leases given back, by resource.");
        _gpuWait = Seconds("flyte_gpu_wait_seconds", "How long granted GPU requests waited in the allocator's queue, by resource.");
        _fires = _meter.CreateCounter<long>("flyte_launch_plan_fires_total", null, "Scheduled fires that started a run, by launch plan.");
        _skips = _meter.CreateCounter<long>("flyte_launch_plan_skipped_fires_total", null, "Scheduled instants skipped (overlap policy skip), by launch plan.");
        _buffered = _meter.CreateCounter<long>("flyte_launch_plan_buffered_fires_total", null, "Scheduled instants buffered behind a running previous run, by launch plan.");
        _missed = _meter.CreateCounter<long>("flyte_launch_plan_missed_fires_total", null, "Scheduled instants missed (older than the misfire threshold when the scheduler woke), by launch plan.");
        _lateness = Seconds("flyte_launch_plan_fire_lateness_seconds", "How late a fire was recorded after its scheduled instant, by launch plan.");
        _appendDuration = Seconds("flyte_event_store_append_duration_seconds", "Event-store transactions (one group commit), by result: appended, conflict, failed.");
        _appendBatch = _meter.CreateHistogram<double>("flyte_event_store_append_batch_size", null, "Stream appends per event-store transaction (group commit).",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_batch });
        _appendedEvents = _meter.CreateCounter<long>("flyte_event_store_appended_events_total", null, "Events durably appended.");
        _appendConflicts = _meter.CreateCounter<long>("flyte_event_store_append_conflicts_total", null, "Transactions refused because a stream had moved on (a stale writer re-reads).");
        _appendFailures = _meter.CreateCounter<long>("flyte_event_store_append_failures_total", null, "Transactions that failed, by kind: transient (database unreachable, retried) or permanent (refused as data).");

        _admissionWait = Seconds("flyte_submission_admission_wait_seconds", "How long admitted submissions waited for their turn on this silo (0 when there was room).");
        _submissionsRefused = _meter.CreateCounter<long>("flyte_submissions_refused_total", null, "Submissions answered 429 because the caller's queue (or the silo's) was full.");

        // Series that alerts watch exist from the start, at zero, so a rate over them is 0 rather than absent.
        _appendConflicts.Add(0);
        _submissionsRefused.Add(0);
        _appendFailures.Add(0, new KeyValuePair<string, object?>("kind", "transient"));
        _appendFailures.Add(0, new KeyValuePair<string, object?>("kind", "permanent"));

        // Gauges read at collection time from what the silo holds; resolved then, so a host without a runner or launch
        // plans (the event store alone) simply reports none.
        _meter.CreateObservableGauge("flyte_runner_running_attempts", () => Read<ITaskRunner, Measurement<long>>(services,
            runner => runner is IRunnerLoad load ? [new Measurement<long>(load.RunningAttempts, Tag("runner", load.RunnerName))] : []),
            unit: null, "Attempts running on this silo's runner, by runner.");
        _meter.CreateObservableGauge("flyte_submissions_waiting", () => Read<Submissions.SubmissionAdmission, Measurement<long>>(services, a => [new Measurement<long>(a.Waiting)]),
            unit: null, "Submissions waiting for their turn on this silo (callers' queues, served round-robin).");
        _meter.CreateObservableGauge("flyte_launch_plan_active_schedules", () => Read<ActiveSchedules, Measurement<long>>(services, s => s.Read()),
            unit: null, "Launch plans whose schedule is firing, by project and domain (activations on this silo: sum over silos).");
    }

    public void SubmissionAdmitted(TimeSpan waited) => _admissionWait.Record(waited.TotalSeconds);

    public void SubmissionRefused() => _submissionsRefused.Add(1);

    public void ExecutionEntered(string project, string domain, string phase) =>
        _executionTransitions.Add(1, Tag("project", project), Tag("domain", domain), Tag("phase", phase));

    public void AttemptEnded(string project, string domain, string outcome, bool retried, TimeSpan? ran)
    {
        _attempts.Add(1, Tag("project", project), Tag("domain", domain), Tag("outcome", outcome), Tag("reason", retried ? "retried" : "final"));
        if (ran is { } duration)
        {
            _attemptDuration.Record(Math.Max(0, duration.TotalSeconds), Tag("outcome", outcome));
        }
    }

    public void FirstWaveLaunched(string project, string domain, TimeSpan sinceSubmission) =>
        _submissionToLaunch.Record(Math.Max(0, sinceSubmission.TotalSeconds), Tag("project", project), Tag("domain", domain));

    public void ReadyToLaunched(string project, string domain, TimeSpan waited) =>
        _readyToLaunch.Record(Math.Max(0, waited.TotalSeconds), Tag("project", project), Tag("domain", domain));

    public void GpuDecision(string decision) => _gpuDecisions.Add(1, Tag("decision", decision));

    public void GpuGranted(string resource, TimeSpan waited)
    {
        _gpuGrants.Add(1, Tag("resource", resource));
        _gpuWait.Record(Math.Max(0, waited.TotalSeconds), Tag("resource", resource));
    }

    public void GpuReleased(string resource) => _gpuReleases.Add(1, Tag("resource", resource));

    /// <summary>A schedule's counters at zero, so "missed" and "late" alerts see the plan before anything goes wrong.</summary>
    public void ScheduleSeen(string project, string domain, string launchPlan)
    {
        _fires.Add(0, Tag("project", project), Tag("domain", domain), Tag("launch_plan", launchPlan));
        _skips.Add(0, Tag("project", project), Tag("domain", domain), Tag("launch_plan", launchPlan));
        _buffered.Add(0, Tag("project", project), Tag("domain", domain), Tag("launch_plan", launchPlan));
        _missed.Add(0, Tag("project", project), Tag("domain", domain), Tag("launch_plan", launchPlan));
    }

    public void Fired(string project, string domain, string launchPlan, TimeSpan late)
    {
        _fires.Add(1, Tag("project", project), Tag("domain", domain), Tag("launch_plan", launchPlan));
        _lateness.Record(Math.Max(0, late.TotalSeconds), Tag("project", project), Tag("domain", domain), Tag("launch_plan", launchPlan));
    }

    public void FireSkipped(string project, string domain, string launchPlan) =>
        _skips.Add(1, Tag("project", project), Tag("domain", domain), Tag("launch_plan", launchPlan));

    public void FireBuffered(string project, string domain, string launchPlan) =>
        _buffered.Add(1, Tag("project", project), Tag("domain", domain), Tag("launch_plan", launchPlan));

    public void FiresMissed(string project, string domain, string launchPlan, int count) =>
        _missed.Add(count, Tag("project", project), Tag("domain", domain), Tag("launch_plan", launchPlan));

    public void Appended(TimeSpan took, int appends, int events)
    {
        _appendDuration.Record(took.TotalSeconds, Tag("result", "appended"));
        _appendBatch.Record(appends);
        _appendedEvents.Add(events);
    }

    public void AppendConflicted(TimeSpan took)
    {
        _appendDuration.Record(took.TotalSeconds, Tag("result", "conflict"));
        _appendConflicts.Add(1);
    }

    public void AppendFailed(TimeSpan took, bool transient)
    {
        _appendDuration.Record(took.TotalSeconds, Tag("result", "failed"));
        _appendFailures.Add(1, Tag("kind", transient ? "transient" : "permanent"));
    }

    private static List<TMeasurement> Read<TService, TMeasurement>(IServiceProvider services, Func<TService, IEnumerable<TMeasurement>> read)
        where TService : class
    {
        try
        {
            return services.GetService<TService>() is { } service ? read(service).ToList() : [];
        }
        catch (ObjectDisposedException)
        {
            return []; // collected while the host stops
        }
    }

    private Histogram<double> Seconds(string name, string description) =>
        _meter.CreateHistogram<double>(name, "s", description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_seconds });

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);
}
