using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Grains.Registry;

namespace Orleans.Flyte.Grains.LaunchPlans;

/// <summary>
/// One launch plan name in one project/domain: its immutable versions, the single active version, and the schedule
/// that version fires. Key: <c>project/domain/name</c> (<see cref="DefinitionKey"/>). Every transition is one event
/// with the caller's principal and reason; a transition is effective when acknowledged: the grain handles one call
/// at a time, so no fire starts after a deactivation or archive returns.
/// </summary>
[Alias("flyte.ILaunchPlanGrain")]
public interface ILaunchPlanGrain : IGrainWithStringKey
{
    /// <summary>Registers a version (inactive). Same version and content: idempotent; other content: conflict.</summary>
    [Alias("Register")]
    Task<LaunchPlanRegistration> Register(RegisterLaunchPlan command);

    /// <summary>The launch plan with all its versions; null when no version is registered.</summary>
    [Alias("Get")]
    Task<LaunchPlanView?> Get();

    /// <summary>Activates a version; the previously active version is deactivated in the same event.</summary>
    [Alias("Activate")]
    Task<TransitionResult> Activate(string version, string? reason);

    [Alias("Deactivate")]
    Task<TransitionResult> Deactivate(string version, string? reason);

    [Alias("Archive")]
    Task<TransitionResult> Archive(string version, string? reason);

    [Alias("Restore")]
    Task<TransitionResult> Restore(string version, string? reason);

    [Alias("Pause")]
    Task<TransitionResult> Pause(string? reason);

    [Alias("Resume")]
    Task<TransitionResult> Resume(string? reason);

    /// <summary>Launches a version now (the active one when <paramref name="version"/> is null) with optional overrides of
    /// non-fixed inputs. With <paramref name="executionId"/> (derived from an idempotency key) a retry finds the execution
    /// the first call created instead of starting another; the same id with other inputs is refused.</summary>
    [Alias("Trigger")]
    Task<LaunchResult> Trigger(string? version, string? overridesJson, string? reason, string? executionId);

    /// <summary>One execution per scheduled instant in [from, to), each with the id a scheduled fire of that instant has.</summary>
    [Alias("Backfill")]
    Task<LaunchResult> Backfill(string version, DateTimeOffset from, DateTimeOffset to, string? reason);

    /// <summary>Fires what is due by the clock. Called by the grain's own timers and reminder; safe to call any time.</summary>
    [Alias("Tick")]
    Task Tick();
}

/// <param name="Spec">The normalized launch plan spec (canonical JSON), validated by the caller.</param>
/// <param name="Workflow">The exact workflow version, <c>name@version</c>.</param>
[GenerateSerializer, Immutable, Alias("flyte.RegisterLaunchPlan")]
public sealed record RegisterLaunchPlan(
    [property: Id(0)] string Version,
    [property: Id(1)] string Spec,
    [property: Id(2)] string ContentHash,
    [property: Id(3)] string Workflow,
    [property: Id(4)] string WorkflowSpec,
    [property: Id(5)] ExecutionPlan Plan);

[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanRegistration")]
public sealed record LaunchPlanRegistration(
    [property: Id(0)] RegistrationOutcome Outcome,
    [property: Id(1)] LaunchPlanView LaunchPlan,
    [property: Id(2)] string ExistingSpec);

public enum TransitionStatus
{
    Changed,
    Unchanged,
    NotFound,

    /// <summary>Not allowed in the current state (e.g. activating an archived version); the message says why.</summary>
    Refused,

    /// <summary>The request is not valid (bad inputs, a bad range); see the errors.</summary>
    Invalid,
}

[GenerateSerializer, Immutable, Alias("flyte.TransitionResult")]
public sealed record TransitionResult(
    [property: Id(0)] TransitionStatus Status,
    [property: Id(1)] string? Message,
    [property: Id(2)] LaunchPlanView? LaunchPlan);

[GenerateSerializer, Immutable, Alias("flyte.LaunchError")]
public sealed record LaunchError([property: Id(0)] string Pointer, [property: Id(1)] string Message);

/// <param name="Executions">The executions launched (or found, for instants launched before).</param>
[GenerateSerializer, Immutable, Alias("flyte.LaunchResult")]
public sealed record LaunchResult(
    [property: Id(0)] TransitionStatus Status,
    [property: Id(1)] string? Message,
    [property: Id(2)] IReadOnlyList<LaunchError> Errors,
    [property: Id(3)] IReadOnlyList<LaunchedRun> Executions);

[GenerateSerializer, Immutable, Alias("flyte.LaunchedRun")]
public sealed record LaunchedRun([property: Id(0)] string ExecutionId, [property: Id(1)] DateTimeOffset? ScheduledAt, [property: Id(2)] bool Created);

[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanView")]
public sealed record LaunchPlanView(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] string Name,
    [property: Id(3)] string? ActiveVersion,
    [property: Id(4)] bool Paused,
    [property: Id(5)] DateTimeOffset? ScheduledThrough,
    [property: Id(6)] DateTimeOffset? Buffered,
    [property: Id(7)] long Fired,
    [property: Id(8)] long Skipped,
    [property: Id(9)] long Missed,
    [property: Id(10)] IReadOnlyList<DateTimeOffset> NextFires,
    [property: Id(11)] IReadOnlyList<LaunchPlanVersionView> Versions,
    [property: Id(12)] IReadOnlyList<LaunchPlanFire> RecentFires);

[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanVersionView")]
public sealed record LaunchPlanVersionView(
    [property: Id(0)] string Version,
    [property: Id(1)] LaunchPlanStatus Status,
    [property: Id(2)] string Workflow,
    [property: Id(3)] string Spec,
    [property: Id(4)] string ContentHash,
    [property: Id(5)] DateTimeOffset RegisteredAt,
    [property: Id(6)] string RegisteredBy,
    [property: Id(7)] DateTimeOffset ChangedAt,
    [property: Id(8)] string ChangedBy,
    [property: Id(9)] string? ChangeReason);

/// <summary>
/// Ids of scheduled runs: a function of project, domain, launch plan, version and scheduled instant, so every repeated
/// fire of one instant (a retry, a restart, a second silo, a backfill) names the same execution, and creating an
/// execution is idempotent per id. 20 characters of [a-z0-9] starting with 's', like every execution id.
/// </summary>
public static class ScheduledExecutionIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string For(string project, string domain, string launchPlan, string version, DateTimeOffset scheduledAt)
    {
        var text = string.Join('\n', "launchplan", project, domain, launchPlan, version,
            scheduledAt.UtcTicks.ToString(CultureInfo.InvariantCulture));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var id = new StringBuilder("s", 20);
        for (var i = 0; id.Length < 20; i++)
        {
            id.Append(Alphabet[hash[i] % Alphabet.Length]);
        }

        return id.ToString();
    }
}

/// <summary>
/// The clock schedules are computed and stamped with: the platform's <see cref="TimeProvider"/> unless replaced. Tests replace
/// this one (not the platform's) with a test clock: Orleans itself runs its placement timeouts, grain timers and reminders on
/// the injected <see cref="TimeProvider"/>, and a test clock that jumps hours at once breaks them.
/// </summary>
public sealed class LaunchPlanClock(TimeProvider time)
{
    public TimeProvider Time { get; } = time;
}

/// <summary>Bound from <c>Flyte:LaunchPlans</c>.</summary>
public sealed class LaunchPlanOptions
{
    public const string Section = "Flyte:LaunchPlans";

    /// <summary>How often the durable reminder of an active schedule wakes its grain (at least Orleans' MinimumReminderPeriod).
    /// It bounds how long a crashed silo delays a schedule; the precise fire comes from a timer at the instant itself.</summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An instant older than this when it is fired is late: the catch-up policy decides whether it runs.</summary>
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>While a schedule is active, the grain also re-checks on this real-time period (keeps it activated, and
    /// notices when a run that a buffered instant waits for has ended).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most instants one backfill may launch.</summary>
    public int MaxBackfill { get; set; } = 500;
}
