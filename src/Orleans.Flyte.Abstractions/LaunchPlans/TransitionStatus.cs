namespace Orleans.Flyte.Abstractions.LaunchPlans;

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
