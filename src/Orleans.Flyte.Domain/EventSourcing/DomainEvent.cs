using System.Text.Json.Serialization;

namespace Orleans.Flyte.Domain.EventSourcing;

/// <summary>
/// Base of every persisted event. Events are facts in the past tense; the metadata says who caused
/// the fact, when, and under which request, so an audit can answer "who asked for it".
/// Never rename or remove a stored event type: add a new one.
/// </summary>
[GenerateSerializer, Immutable, Alias("flyte.DomainEvent")]
public abstract record DomainEvent
{
    [Id(0)] public EventMetadata Meta { get; init; } = EventMetadata.Unstamped;
}

/// <param name="At">When the grain decided the fact (from the injected <see cref="TimeProvider"/>).</param>
/// <param name="Principal">Who caused it: the authenticated caller, or <c>system:...</c> for the platform itself.</param>
/// <param name="CorrelationId">The request that caused it (the HTTP request id or a parent operation id).</param>
/// <param name="Reason">Optional free text the caller gave (e.g. why an execution was aborted).</param>
/// <remarks><see cref="OnBehalfOf"/>: when a platform component acted (<c>system:scheduler</c>, <c>system:executions</c>), the
/// principal it acted for: the one who activated the launch plan, submitted the run. Null when the principal acted itself.</remarks>
[GenerateSerializer, Immutable, Alias("flyte.EventMetadata")]
public sealed record EventMetadata(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Principal,
    [property: Id(2)] string? CorrelationId,
    [property: Id(3)] string? Reason)
{
    public static readonly EventMetadata Unstamped = new(DateTimeOffset.UnixEpoch, "unknown", null, null);

    // Left out of the JSON when null, so events stored before it existed hash as they did.
    [Id(4)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OnBehalfOf { get; init; }

    /// <summary>Who is answerable for the fact: the principal a component acted for, else the principal itself.</summary>
    [JsonIgnore]
    public string Responsible => OnBehalfOf ?? Principal;
}

/// <summary>A state that is the fold of its events: no I/O, no clock, no randomness.</summary>
public interface IEventSourcedState<in TEvent> where TEvent : DomainEvent
{
    void Apply(TEvent @event);
}
