using System.Globalization;
using System.Text.Json.Nodes;
using Cronos;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.LaunchPlans;

/// <summary>What to do with scheduled instants that passed while nothing could fire them (a silo down, the cluster stopped).</summary>
public enum CatchUpPolicy
{
    /// <summary>Late instants are recorded as missed; only on-time instants fire.</summary>
    None,

    /// <summary>Of the late instants, only the most recent fires.</summary>
    Latest,

    /// <summary>The most recent late instants fire, up to <see cref="ScheduleSpec.MaxCatchUp"/>; older ones are recorded as missed.</summary>
    All,
}

/// <summary>What to do when an instant is due and the previous scheduled run is still going.</summary>
public enum OverlapPolicy
{
    /// <summary>Start the new run anyway.</summary>
    Allow,

    /// <summary>Do not start it; record the instant as skipped.</summary>
    Skip,

    /// <summary>Keep one instant waiting and start it when the previous run ends; further instants are skipped.</summary>
    Buffer,

    /// <summary>Abort the previous run, then start the new one.</summary>
    CancelPrevious,
}

/// <summary>
/// A schedule: a five-field cron expression (or a macro such as <c>@hourly</c>) read in a time zone, or a fixed rate.
/// Fixed-rate instants are aligned to the Unix epoch (every 10m fires at :00, :10, ...), so every silo computes the same
/// instants without shared state. Pure: instants are computed from the times given, never from a clock.
/// </summary>
public sealed record ScheduleSpec
{
    public const int MaxCatchUpLimit = 500;
    public const int DefaultMaxCatchUp = 10;
    public static readonly TimeSpan MinRate = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxRate = TimeSpan.FromDays(366);

    private CronExpression? _cron;
    private TimeZoneInfo? _zone;

    public string? Cron { get; init; }
    public string TimeZone { get; init; } = "UTC";
    public TimeSpan? Rate { get; init; }
    public string? KickoffTimeInput { get; init; }
    public CatchUpPolicy CatchUp { get; init; } = CatchUpPolicy.Latest;
    public int MaxCatchUp { get; init; } = DefaultMaxCatchUp;
    public OverlapPolicy Overlap { get; init; } = OverlapPolicy.Allow;

    private CronExpression CronExpression => _cron ??= Cronos.CronExpression.Parse(Cron!, CronFormat.Standard);

    private TimeZoneInfo Zone => _zone ??= TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    /// <summary>The first instant strictly after <paramref name="after"/>, in UTC; null when the cron never fires again.</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        if (Rate is { } rate)
        {
            var ticks = after.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            var next = ((ticks / rate.Ticks) + 1) * rate.Ticks;
            return new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + next, TimeSpan.Zero);
        }

        return CronExpression.GetNextOccurrence(after.ToUniversalTime(), Zone, inclusive: false)?.ToUniversalTime();
    }

    /// <summary>Instants in (<paramref name="after"/>, <paramref name="through"/>], oldest first.</summary>
    public IEnumerable<DateTimeOffset> Between(DateTimeOffset after, DateTimeOffset through)
    {
        var current = after;
        while (Next(current) is { } next && next <= through)
        {
            yield return next;
            current = next;
        }
    }

    /// <summary>The next <paramref name="count"/> instants after <paramref name="after"/>.</summary>
    public IReadOnlyList<DateTimeOffset> NextFires(DateTimeOffset after, int count)
    {
        var result = new List<DateTimeOffset>(count);
        var current = after;
        while (result.Count < count && Next(current) is { } next)
        {
            result.Add(next);
            current = next;
        }

        return result;
    }

    /// <summary>
    /// What to do at <paramref name="now"/> with the instants after <paramref name="cursor"/> (the last instant already
    /// decided). An instant at most <paramref name="misfireThreshold"/> old is on time and always fires; older ones are
    /// late and the catch-up policy chooses which of them fire (the most recent ones); the rest are missed.
    /// </summary>
    public FireDecision Decide(DateTimeOffset cursor, DateTimeOffset now, TimeSpan misfireThreshold)
    {
        var keepLate = CatchUp switch
        {
            CatchUpPolicy.None => 0,
            CatchUpPolicy.Latest => 1,
            _ => MaxCatchUp,
        };
        var late = new Queue<DateTimeOffset>();
        var onTime = new List<DateTimeOffset>();
        var missed = 0;
        DateTimeOffset? firstMissed = null;
        DateTimeOffset? lastMissed = null;
        foreach (var instant in Between(cursor, now))
        {
            if (now - instant <= misfireThreshold)
            {
                onTime.Add(instant);
                continue;
            }

            late.Enqueue(instant);
            if (late.Count > keepLate)
            {
                var dropped = late.Dequeue();
                missed++;
                firstMissed ??= dropped;
                lastMissed = dropped;
            }
        }

        var fire = late.Select(i => new DueInstant(i, Late: true)).Concat(onTime.Select(i => new DueInstant(i, Late: false))).ToList();
        return new FireDecision(fire, missed, firstMissed, lastMissed);
    }

    public JsonObject ToJson()
    {
        var obj = new JsonObject();
        if (Cron is not null)
        {
            obj["cron"] = Cron;
            obj["timezone"] = TimeZone;
        }

        if (Rate is { } rate)
        {
            obj["rate"] = DurationText.Format(rate);
        }

        if (KickoffTimeInput is not null)
        {
            obj["kickoffTimeInput"] = KickoffTimeInput;
        }

        obj["catchUp"] = CatchUp.ToString().ToLowerInvariant();
        if (CatchUp == CatchUpPolicy.All)
        {
            obj["maxCatchUp"] = MaxCatchUp;
        }

        obj["overlap"] = Overlap == OverlapPolicy.CancelPrevious ? "cancelPrevious" : Overlap.ToString().ToLowerInvariant();
        return obj;
    }

    /// <summary>Short text for listings: <c>cron "0 2 * * *" Asia/Seoul</c> or <c>every 10m</c>.</summary>
    public string Describe() => Rate is { } rate
        ? $"every {DurationText.Format(rate)}"
        : string.Create(CultureInfo.InvariantCulture, $"cron \"{Cron}\" {TimeZone}");

    internal static ScheduleSpec? Read(FieldReader parent, string field)
    {
        var obj = parent.Object(field);
        if (obj is null)
        {
            return null;
        }

        var fields = new FieldReader(obj, parent.At(field), parent.Errors,
            "cron", "timezone", "rate", "kickoffTimeInput", "catchUp", "maxCatchUp", "overlap");
        var start = fields.Errors.Count;
        var cron = fields.String("cron");
        var zone = fields.String("timezone");
        var rate = fields.Has("rate") ? fields.Duration("rate", MinRate, MaxRate) : null;
        if (cron is not null && fields.Has("rate"))
        {
            fields.Error("rate", "give either 'cron' or 'rate', not both");
        }
        else if (cron is null && !fields.Has("rate") && !fields.Has("cron"))
        {
            fields.Errors.Add(new SpecError(fields.Pointer, "a schedule needs 'cron' (e.g. \"0 2 * * *\" or \"@daily\") or 'rate' (e.g. 10m)"));
        }

        if (cron is not null)
        {
            try
            {
                Cronos.CronExpression.Parse(cron, CronFormat.Standard);
            }
            catch (CronFormatException ex)
            {
                fields.Error("cron", $"'{SpecDocument.Truncate(cron)}' is not a cron expression: {ex.Message.TrimEnd('.')}; write five fields (minute hour day-of-month month day-of-week, e.g. \"0 2 * * *\") or a macro such as @hourly, @daily, @weekly, @monthly");
            }
        }

        if (zone is not null)
        {
            if (rate is not null || fields.Has("rate"))
            {
                fields.Error("timezone", "'timezone' applies to cron schedules only; a rate is the same in every time zone");
            }
            else if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            {
                fields.Error("timezone", $"'{SpecDocument.Truncate(zone)}' is not a known time zone; use an IANA name such as UTC, Europe/Berlin or Asia/Seoul");
            }
        }

        var kickoff = fields.String("kickoffTimeInput");
        if (kickoff is not null && Names.ParameterNameError(kickoff) is { } kickoffError)
        {
            fields.Error("kickoffTimeInput", kickoffError);
        }

        var catchUp = CatchUpPolicy.Latest;
        if (fields.String("catchUp") is { } catchUpText)
        {
            switch (catchUpText)
            {
                case "none":
                    catchUp = CatchUpPolicy.None;
                    break;
                case "latest":
                    break;
                case "all":
                    catchUp = CatchUpPolicy.All;
                    break;
                default:
                    fields.Error("catchUp", $"'{SpecDocument.Truncate(catchUpText)}' is not a catch-up policy; use none, latest (the default) or all");
                    break;
            }
        }

        var max = fields.Int("maxCatchUp", 1, MaxCatchUpLimit);
        if (max is not null && catchUp != CatchUpPolicy.All)
        {
            fields.Error("maxCatchUp", "'maxCatchUp' bounds the 'all' catch-up policy; set catchUp: all or remove it");
        }

        var overlap = OverlapPolicy.Allow;
        if (fields.String("overlap") is { } overlapText)
        {
            switch (overlapText)
            {
                case "allow":
                    break;
                case "skip":
                    overlap = OverlapPolicy.Skip;
                    break;
                case "buffer":
                    overlap = OverlapPolicy.Buffer;
                    break;
                case "cancelPrevious":
                    overlap = OverlapPolicy.CancelPrevious;
                    break;
                default:
                    fields.Error("overlap", $"'{SpecDocument.Truncate(overlapText)}' is not an overlap policy; use allow (the default), skip, buffer or cancelPrevious");
                    break;
            }
        }

        if (fields.Errors.Count > start)
        {
            return null;
        }

        return new ScheduleSpec
        {
            Cron = cron,
            TimeZone = cron is null ? "UTC" : zone ?? "UTC",
            Rate = rate,
            KickoffTimeInput = kickoff,
            CatchUp = catchUp,
            MaxCatchUp = max ?? DefaultMaxCatchUp,
            Overlap = overlap,
        };
    }

    // The parsed expression and zone are caches; equality is over what was written.
    public bool Equals(ScheduleSpec? other) =>
        other is not null && Cron == other.Cron && TimeZone == other.TimeZone && Rate == other.Rate && KickoffTimeInput == other.KickoffTimeInput
        && CatchUp == other.CatchUp && MaxCatchUp == other.MaxCatchUp && Overlap == other.Overlap;

    public override int GetHashCode() => HashCode.Combine(Cron, TimeZone, Rate, KickoffTimeInput, CatchUp, MaxCatchUp, Overlap);
}

/// <param name="Late">Older than the misfire threshold: fired by the catch-up policy, not on time.</param>
public sealed record DueInstant(DateTimeOffset At, bool Late);

/// <param name="Fire">Instants to fire now, oldest first.</param>
/// <param name="Missed">How many late instants the catch-up policy dropped.</param>
public sealed record FireDecision(IReadOnlyList<DueInstant> Fire, int Missed, DateTimeOffset? FirstMissed, DateTimeOffset? LastMissed);
