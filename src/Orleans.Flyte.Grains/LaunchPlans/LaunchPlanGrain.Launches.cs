using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Abstractions.Submissions;
using Orleans.Flyte.Domain.LaunchPlans;

namespace Orleans.Flyte.Grains.LaunchPlans;

/// <summary>Launches a caller asks for: trigger now, and backfill past instants (each with the id its scheduled fire has).</summary>
public sealed partial class LaunchPlanGrain
{
    public async Task<LaunchResult> Trigger(string? version, string? overridesJson, string? reason, string? executionId)
    {
        var target = version is null ? State.Active : State.Find(version);
        if (target is null)
        {
            return Launch(version is null && State.Exists ? TransitionStatus.Refused : TransitionStatus.NotFound,
                version is null
                    ? State.Exists ? NoActiveVersion() : $"Launch plan '{Key.Name}' does not exist."
                    : $"Launch plan '{Key.Name}' has no version '{version}'.");
        }

        if (target.Status == LaunchPlanStatus.Archived)
        {
            return Launch(TransitionStatus.Refused, Archived(target.Version));
        }

        JsonObject? overrides = null;
        if (overridesJson is not null)
        {
            overrides = JsonNode.Parse(overridesJson) as JsonObject;
        }

        var (plan, workflow) = Parsed(target);
        var inputs = LaunchPlanInputs.Compose(plan, workflow, overrides, Clock.GetUtcNow());
        if (!inputs.IsValid)
        {
            return new LaunchResult(TransitionStatus.Invalid, "The inputs are not valid.", [.. inputs.Errors.Select(e => new LaunchError(e.Pointer, e.Message))], []);
        }

        var id = executionId ?? ExecutionIds.New();
        var inputsJson = inputs.Value!.ToJsonString();

        // A retry with the same idempotency key: the execution exists, so only check it is the same launch.
        var retried = executionId is not null && await Execution(id).GetSubmission() is not null;
        if (!retried)
        {
            if (await UnservableGpus(target) is { Count: > 0 } unservable)
            {
                return NoGpuFor(unservable);
            }

            await Record(new LaunchPlanTriggered(target.Version, id, inputsJson), reason);
        }

        return await SubmitRun(target, id, inputsJson, scheduledAt: null) switch
        {
            SubmissionResult.Accepted accepted => new LaunchResult(TransitionStatus.Changed, null, [], [new LaunchedRun(id, null, accepted.Created)]),
            SubmissionResult.Conflict => Launch(TransitionStatus.Refused,
                $"The idempotency key was already used to launch execution {id} with other inputs or another version. Use a new key for a new launch."),
            var other => throw new InvalidOperationException($"A launch of {this.GetPrimaryKeyString()}@{target.Version} was answered {other}."),
        };
    }

    public async Task<LaunchResult> Backfill(string version, DateTimeOffset from, DateTimeOffset to, string? reason)
    {
        var target = State.Find(version);
        if (target is null)
        {
            return Launch(TransitionStatus.NotFound, $"Launch plan '{Key.Name}' has no version '{version}'.");
        }

        if (target.Status == LaunchPlanStatus.Archived)
        {
            return Launch(TransitionStatus.Refused, Archived(version));
        }

        if (ScheduleOf(target) is not { } schedule)
        {
            return Launch(TransitionStatus.Refused, $"Version '{version}' has no schedule, so it has no instants to backfill.");
        }

        var errors = new List<LaunchError>();
        var now = Clock.GetUtcNow();
        if (to <= from)
        {
            errors.Add(new LaunchError("/to", "'to' must be after 'from'"));
        }
        else if (to > now)
        {
            errors.Add(new LaunchError("/to", $"'to' ({to:O}) is in the future; a backfill covers instants that have passed (now is {now:O})"));
        }

        // [from, to): the instant 'from' itself is included.
        var instants = errors.Count > 0 ? [] : schedule.Between(from.AddTicks(-1), to.AddTicks(-1)).Take(Options.MaxBackfill + 1).ToList();
        if (instants.Count > Options.MaxBackfill)
        {
            errors.Add(new LaunchError("/to", $"the range holds more than {Options.MaxBackfill} scheduled instants; backfill it in smaller ranges"));
        }

        if (errors.Count > 0)
        {
            return new LaunchResult(TransitionStatus.Invalid, "The backfill is not valid.", errors, []);
        }

        if (await UnservableGpus(target) is { Count: > 0 } unservable)
        {
            return NoGpuFor(unservable);
        }

        var ids = instants.Select(i => ScheduledExecutionId(version, i)).ToList();
        await Record(new LaunchPlanBackfilled(version, from, to, instants, ids), reason);
        var runs = new List<LaunchedRun>();
        for (var i = 0; i < instants.Count; i++)
        {
            var created = await CreateScheduled(target, instants[i], ids[i]);
            runs.Add(new LaunchedRun(ids[i], instants[i], created));
        }

        return new LaunchResult(TransitionStatus.Changed, null, [], runs);
    }

    private static LaunchResult Launch(TransitionStatus status, string message) => new(status, message, [], []);

    private string Archived(string version) =>
        $"Version '{version}' is archived: it cannot be launched. Restore it first (POST .../launchplans/{Key.Name}/versions/{version}/restore, " +
        $"or .../launchplans/{Key.Name}/restore for every version), then launch it again.";

    /// <summary>Why a trigger without a version cannot launch, and the calls that can.</summary>
    private string NoActiveVersion()
    {
        var versions = string.Join(", ", State.Versions.Select(v => $"{v.Version} {v.Status.ToString().ToLowerInvariant()}"));
        var launchable = State.Versions.LastOrDefault(v => v.Status != LaunchPlanStatus.Archived);
        var archived = State.Versions.LastOrDefault(v => v.Status == LaunchPlanStatus.Archived);
        return $"No version of launch plan '{Key.Name}' is active ({versions}). " +
            (launchable is not null
                ? $"Name the version to launch ({{\"version\": \"{launchable.Version}\"}} in the trigger body), or activate one (POST .../launchplans/{Key.Name}/versions/{launchable.Version}/activate)."
                : $"Every version is archived: restore one (POST .../launchplans/{Key.Name}/versions/{archived!.Version}/restore, or .../launchplans/{Key.Name}/restore for all), then trigger it by name or activate it.");
    }
}
