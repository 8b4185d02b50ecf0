namespace Orleans.Flyte.Grains.LaunchPlans;

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
